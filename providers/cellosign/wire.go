package cellosign

import "encoding/json"

// Everything CelloSign calls things lives in this file.
//
// Documented:
//
//   - Archive webhook, ../shared/seeds/cellosign-archive-webhook.txt
//     (CelloSign help centre, "Outbound: Webhooks Archive"): the body
//     (event {type "WHP_ARCHIVE", timestamp}, reference, sessions[],
//     signatures[] {id, signed_at, signed_by {id, name}}, data[],
//     attachments[] {id, filename, mimetype, content (Base64)}, payments[],
//     signed_document {filename, mimetype, content (Base64)}) and the answer
//     it expects: {"status":"0","document":{"reference","public_link"},
//     "errordesc":""} or {"status":"-1","document":null,"errordesc":…}.
//   - REST API v3, https://app.cellosign.com/static/docs/api/v3/index.html
//     ("Cellosign API v3 (3.1)"): base URI https://app.cellosign.com/api/v3/;
//     an Access Token and projectName(s); security scheme "HTTP
//     Authorization Scheme Token" (Authorization: Token <access token>);
//     GET/POST/DELETE only; status codes 200, 400, 401, 404, 500; "Session
//     is a process where single recipient is involved. For processes with
//     multiple recipients check Workflow API" (POST/GET/DELETE a session,
//     query sessions); the session list takes page_size (1..1000, default
//     100), page, author, sent_to, assignee, and returns sessions "and
//     corresponding metadata and status".
//
// Chosen by firmaflow where the public text of that page is silent (what
// this package and its simulator agree on, to be checked against the
// OpenAPI file of a real account): the resource paths /sessions and
// /workflows; the project passed as the projectName query parameter; the
// create body (reference, name, message, recipients[] {id, name, email,
// phone, order}, files[] {filename, mimetype, content Base64}); the lookup
// of a process by ?reference=; the list answer {"results": [...]}; the
// status names sent, submitted, deleted, expired; DELETE as the cancel. The
// reference is firmaflow's process id: the archive echoes it as its
// top-level reference, which is how the bridge finds the process.

const (
	headerAuthorization = "Authorization"
	authScheme          = "Token "
	queryProject        = "projectName"
	queryReference      = "reference"
	queryPageSize       = "page_size"

	pathSessions  = "/sessions"
	pathWorkflows = "/workflows"
)

// EventArchive is the archive webhook's event.type.
const EventArchive = "WHP_ARCHIVE"

// Answer statuses of the archive webhook's response.
const (
	AnswerOK    = "0"
	AnswerError = "-1"
)

// Status names of sessions and workflows (chosen, see above).
const (
	StatusSent      = "sent"
	StatusSubmitted = "submitted"
	StatusDeleted   = "deleted"
	StatusExpired   = "expired"
)

// CreateRequest opens a Session (one recipient) or a Workflow (several).
// Files are streamed by the client (Base64 inside the JSON); the field is
// filled only when decoding (the simulator).
type CreateRequest struct {
	Reference  string      `json:"reference"`
	Name       string      `json:"name"`
	Message    string      `json:"message,omitempty"`
	Recipients []Recipient `json:"recipients"`
	Files      []File      `json:"files,omitempty"`
}

// Recipient is an invited person; Order sequences a workflow (equal orders
// sign in parallel).
type Recipient struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Order int    `json:"order"`
}

// File is a document to sign.
type File struct {
	Filename string `json:"filename"`
	Mimetype string `json:"mimetype"`
	Content  string `json:"content"`
}

// Process is a session or workflow as the API answers it.
type Process struct {
	ID        string `json:"id"`
	Reference string `json:"reference"`
	Status    string `json:"status"`
}

// ProcessList answers a lookup by reference.
type ProcessList struct {
	Results []Process `json:"results"`
}

// Archive is the WHP_ARCHIVE body as firmaflow reads it, once the parser
// has streamed the Base64 contents out (they are null here).
type Archive struct {
	Event struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
	} `json:"event"`
	Reference  string             `json:"reference"`
	Sessions   []ArchiveSession   `json:"sessions"`
	Signatures []ArchiveSignature `json:"signatures"`
	// Attachments and SignedDocument carry the files.
	Attachments    []*ArchiveFile `json:"attachments"`
	SignedDocument *ArchiveFile   `json:"signed_document"`
}

// ArchiveSession is one session of the archived process (what firmaflow
// reads of it).
type ArchiveSession struct {
	ID          string `json:"id"`
	Reference   string `json:"reference"`
	SubmittedAt string `json:"submitted_at"`
	Recipient   struct {
		ID             json.RawMessage `json:"id"`
		Name           string          `json:"name"`
		OTPDestination *struct {
			Address string `json:"address"`
			Type    string `json:"type"`
		} `json:"otp_destination"`
	} `json:"recipient"`
}

// ArchiveSignature is one signature pad of the archive.
type ArchiveSignature struct {
	ID       string `json:"id"`
	SignedAt string `json:"signed_at"`
	SignedBy struct {
		ID   json.RawMessage `json:"id"`
		Name string          `json:"name"`
	} `json:"signed_by"`
}

// ArchiveFile is signed_document or an attachments[] element.
type ArchiveFile struct {
	ID       string          `json:"id,omitempty"`
	Filename string          `json:"filename"`
	Mimetype string          `json:"mimetype"`
	Content  json.RawMessage `json:"content"`
}

// Answer is the body CelloSign expects back from the archive webhook.
type Answer struct {
	Status    string          `json:"status"`
	Document  *AnswerDocument `json:"document"`
	ErrorDesc string          `json:"errordesc"`
}

// AnswerDocument is the answer's optional reference and link.
type AnswerDocument struct {
	Reference  string `json:"reference"`
	PublicLink string `json:"public_link"`
}
