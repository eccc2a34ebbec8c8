package contractualis

import (
	"bytes"
	"encoding/json"
	"strconv"
)

// Everything Contractualis calls things lives in this file.
//
// Documented (../shared/seeds/contractualis-api-v1.txt): the base URL
// https://contractualis.com/app/dev/v1/, the x-api-key header and the JWT from
// /users/login sent as "Authorization: Bearer"; every request body carries the
// account "email"; the endpoints below and their fields; answers wrapped in
// {status_code, status_msg, ...} where status_code is sometimes a string and
// sometimes a number; the four webhook events and their payloads.
//
// Chosen by firmaflow where the document is ambiguous or silent:
//   - "signers" and "attachments" are sent as JSON arrays (the table calls
//     them "String ... en formato JSON" while the examples show arrays);
//   - a status_code other than 200 inside an HTTP 200 answer is an error with
//     that code (401 renews the JWT, 5xx and 429 are retried);
//   - document status names "Borrador" (draft), "Pendiente" (in blockchain),
//     "Completado" and "Eliminado";
//   - the completed document's "hash" is compared with the download only when
//     it is a full hex SHA-256 (the sample shows a truncated one).

const (
	headerAPIKey = "x-api-key"

	pathLogin        = "/users/login"
	pathTokens       = "/users/tokens"
	pathGenerate     = "/documents/generate-document"
	pathDetails      = "/documents/get-details-document"
	pathDeleteDraft  = "/documents/delete-draft"
	pathReadyDocs    = "/documents/get-ready-documents"
	pathDocuments    = "/documents/get-documents"
	pathFinishReady  = "/documents/finish-ready-document"
	dataURIPrefixPDF = "data:application/pdf;base64,"
)

// Webhook event names.
const (
	EventSigned    = "document.signed"
	EventSended    = "document.sended"
	EventCompleted = "document.completed"
	EventNoTokens  = "account.notokens"
)

// Document statuses (get-details-document "status").
const (
	StatusDraft     = "Borrador"
	StatusPending   = "Pendiente"
	StatusCompleted = "Completado"
	StatusDeleted   = "Eliminado"
)

// Option keys read from signing.Input.Options and signing.Signer.Options.
const (
	OptionSubaccount   = "subaccount"      // Input: subaccount id (/users/get-subaccounts)
	OptionLang         = "lang"            // Input: document language, default "es"
	OptionType         = "type"            // Input: "contract" (default) or "document"
	OptionSavedSigner  = "saved_signer_id" // Signer: idsavedsigner (/documents/get-saved-signers)
	OptionSignType     = "sign_type"       // Signer: 0 any (default), 1 autógrafa, 2 SAT
	OptionVerification = "verification"    // Signer: "1"/"true" asks for identity verification
	OptionWhatsAppCode = "whatsapp_code"   // Signer: country code for the phone, default "52"
)

// Code is a status_code, which Contractualis sends as "200" or 200.
type Code int

func (c *Code) UnmarshalJSON(b []byte) error {
	b = bytes.Trim(b, `"`)
	if len(b) == 0 || string(b) == "null" {
		*c = 0
		return nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil {
		return err
	}
	*c = Code(n)
	return nil
}

// Envelope is the part every answer shares.
type Envelope struct {
	StatusCode Code   `json:"status_code"`
	StatusMsg  string `json:"status_msg"`
}

// LoginRequest and LoginResponse: /users/login.
type LoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

type LoginResponse struct {
	Envelope
	JWT string `json:"jwt"`
}

// AccountRequest is a body with only the account email.
type AccountRequest struct {
	Email string `json:"email"`
}

// DocumentRequest names one document.
type DocumentRequest struct {
	Email string `json:"email"`
	ID    string `json:"id"`
}

// TokensResponse: /users/tokens ("tokens" is a string in the doc).
type TokensResponse struct {
	Envelope
	Tokens json.Number `json:"tokens"`
}

// GenerateRequest is generate-document's body without "file" and
// "attachments", which are streamed after it (see Client.Send).
type GenerateRequest struct {
	Email      string   `json:"email"`
	Lang       string   `json:"lang"`
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	Signers    []Signer `json:"signers"`
	Subaccount string   `json:"subaccount,omitempty"`
	// File and Attachments are only filled when decoding (the simulator).
	File        string       `json:"file,omitempty"`
	Attachments []Attachment `json:"attachments,omitempty"`
}

// Signer is a new signer or a saved one (IDSavedSigner).
type Signer struct {
	Email          string `json:"email"`
	Name           string `json:"name,omitempty"`
	WhatsAppCode   string `json:"whatsappcode,omitempty"`
	WhatsApp       string `json:"whatsapp,omitempty"`
	VerificationID *int   `json:"verificationid,omitempty"`
	SignType       *int   `json:"signtype,omitempty"`
	IDSavedSigner  string `json:"idsavedsigner,omitempty"`
}

// Attachment is an annexed PDF.
type Attachment struct {
	Filename string `json:"filename"`
	Data     string `json:"data"`
}

// IDResponse answers generate-document and finish-ready-document.
type IDResponse struct {
	Envelope
	ID string `json:"id"`
}

// ReadyResponse: get-ready-documents.
type ReadyResponse struct {
	Envelope
	Records []struct {
		ID        string `json:"id"`
		TokenTime string `json:"tokentime"`
		Creator   string `json:"creator"`
		Name      string `json:"name"`
	} `json:"records"`
}

// DetailsResponse: get-details-document (only what firmaflow reads).
type DetailsResponse struct {
	Envelope
	Data struct {
		IDDocument   string `json:"iddocument"`
		DocumentName string `json:"documentname"`
		Status       string `json:"status"`
		Step         string `json:"step"`
	} `json:"data"`
}

// Webhook is a notification. Data is absent for account.notokens.
type Webhook struct {
	Event     string       `json:"event"`
	Timestamp string       `json:"timestamp"`
	Data      *WebhookData `json:"data"`
}

// WebhookData is a notification's document part.
type WebhookData struct {
	DocumentID string           `json:"document_id"`
	TokenTime  string           `json:"tokentime,omitempty"`
	Signer     *WebhookSigner   `json:"signer,omitempty"`
	Document   *WebhookDocument `json:"document,omitempty"`
	Status     string           `json:"status"`
}

// WebhookSigner is who signed.
type WebhookSigner struct {
	Name     string `json:"name"`
	Email    string `json:"email"`
	SignedAt string `json:"signed_at"`
}

// WebhookDocument describes the document; links only on completion.
type WebhookDocument struct {
	Name        string `json:"name"`
	Creator     string `json:"creator"`
	TokenTime   string `json:"tokentime"`
	Hash        string `json:"hash,omitempty"`
	URL         string `json:"url,omitempty"`
	NOM151      string `json:"nom151,omitempty"`
	Certificate string `json:"certificate,omitempty"`
	AuditTrail  string `json:"audittrail,omitempty"`
}
