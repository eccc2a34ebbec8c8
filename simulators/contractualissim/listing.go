package contractualissim

import (
	"net/http"
	"sort"

	"github.com/firmaflow/firmaflow/providers/contractualis"
)

// list serves get-documents: the account's documents that were not deleted,
// newest first, with their name, status and creation date (UTC, in the
// document's "2006-01-02 15:04:05" format). firmaflow reads it to find a
// document a send whose answer was lost did open.
func (s *Simulator) list(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	docs := make([]*document, 0, len(s.docs))
	for _, d := range s.docs {
		if d.status != contractualis.StatusDeleted {
			docs = append(docs, d)
		}
	}
	sort.Slice(docs, func(i, j int) bool { return docs[i].created.After(docs[j].created) })
	records := make([]map[string]string, 0, len(docs))
	for _, d := range docs {
		status := d.status
		if status == "ready" {
			status = contractualis.StatusDraft
		}
		records = append(records, map[string]string{"id": d.id, "documentname": d.name, "status": status,
			"creationdate": d.created.Format(contractualis.CreationDateLayout), "tokentime": ""})
	}
	s.mu.Unlock()
	reply(w, 200, "", map[string]any{"records": records})
}
