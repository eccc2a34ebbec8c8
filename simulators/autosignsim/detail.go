package autosignsim

// nullable is JSON null for an empty string, as the transaction detail's
// unset fields are (rejected_reason, rejected_by_id, rejected_at).
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}
