package cellosign

// Everything CelloSign calls things lives in this file.
//
// Documented:
//   - ../shared/seeds/cellosign-archive-webhook.txt: the archive webhook
//     (event.type "WHP_ARCHIVE", event.timestamp, reference, sessions,
//     signatures, data, attachments[] {id, filename, mimetype, content
//     Base64}, signed_document {filename, mimetype, content Base64}) and
//     the answer it expects ({"status":"0","document":{"reference",
//     "public_link"},"errordesc":""} or {"status":"-1","document":null,
//     "errordesc":...}).
//   - https://app.cellosign.com/static/docs/api/v3/index.html: base
//     https://app.cellosign.com/api/v3/, "Authorization: Token <access
//     token>" with a projectName, Sessions (one recipient; GET, POST,
//     DELETE) and the Workflow API for several recipients.
//
// Chosen by firmaflow where that page's public text is silent: the paths
// below, the project passed as the "project" query parameter, the create
// bodies (reference, name, recipients, files as Base64), lookup by
// reference, and the status names. The reference is firmaflow's process id,
// so an archive finds its process.

const (
	headerAuthorization = "Authorization"
	queryProject        = "project"

	pathSessions  = "/sessions"
	pathWorkflows = "/workflows"

	archiveEventType = "WHP_ARCHIVE"
)

// Status names of sessions and workflows.
const (
	StatusSent      = "sent"
	StatusSubmitted = "submitted"
	StatusDeleted   = "deleted"
)

// CreateRequest opens a Session (one recipient) or a Workflow (several).
type CreateRequest struct {
	Reference  string      `json:"reference"`
	Name       string      `json:"name"`
	Message    string      `json:"message,omitempty"`
	Recipients []Recipient `json:"recipients"`
	Files      []File      `json:"files"`
}

// Recipient is an invited person; Order sequences a workflow.
type Recipient struct {
	ID    int    `json:"id"`
	Name  string `json:"name"`
	Email string `json:"email,omitempty"`
	Phone string `json:"phone,omitempty"`
	Order int    `json:"order"`
}

// File is a document to sign (Base64, streamed by the client).
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

// Archive is the WHP_ARCHIVE body without its Base64 contents, which the
// parser streams into the document store instead (see archive.go).
type Archive struct {
	Event struct {
		Type      string `json:"type"`
		Timestamp string `json:"timestamp"`
	} `json:"event"`
	Reference  string `json:"reference"`
	Signatures []struct {
		ID       string `json:"id"`
		SignedAt string `json:"signed_at"`
		SignedBy struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"signed_by"`
	} `json:"signatures"`
	Sessions []struct {
		Recipient struct {
			Name           string `json:"name"`
			OTPDestination struct {
				Address string `json:"address"`
			} `json:"otp_destination"`
		} `json:"recipient"`
	} `json:"sessions"`
	Attachments    []ArchiveFile `json:"attachments"`
	SignedDocument *ArchiveFile  `json:"signed_document"`
}

// ArchiveFile is a file of the archive; Content holds the placeholder the
// streaming parser left where the Base64 was.
type ArchiveFile struct {
	ID       string `json:"id"`
	Filename string `json:"filename"`
	Mimetype string `json:"mimetype"`
	Content  string `json:"content"`
}

// Answer is the body CelloSign expects back.
type Answer struct {
	Status    string          `json:"status"`
	Document  *AnswerDocument `json:"document"`
	ErrorDesc string          `json:"errordesc"`
}

type AnswerDocument struct {
	Reference  string `json:"reference"`
	PublicLink string `json:"public_link"`
}
