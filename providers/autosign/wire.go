package autosign

// Everything Autosign calls things lives in this file.
//
// Documented (../shared/seeds/autosign-api-and-webhooks.txt): the seven
// webhook events and their payloads; file upload as multipart (name, file;
// 10 MB at most) answering {token}; create transaction (name,
// notification_endpoint) answering {id}; add document by file token;
// "Usar plantillas" (templates [{id}]); update transaction (documents,
// name, description, email_subject, email_body, expiration_days,
// recipients with role and index); signature fields; transaction detail;
// OAuth code exchange and refresh (client_id, client_secret, code |
// refresh_token → access_token, refresh_token, expires_in); create and list
// webhooks.
//
// Chosen by firmaflow, because the document shows no paths, no base URL,
// no start call and no download of sealed documents: the REST paths below,
// a Bearer access token, "POST .../start" to send a prepared transaction,
// and "GET .../sealed-documents/{id}" to download a sealed document. The
// document offers no resend, renewal or cancel call and no API key, so
// firmaflow has none (providers.Unsupported).

const (
	pathToken       = "/v1/oauth/token"
	pathRefresh     = "/v1/oauth/refresh"
	pathFiles       = "/v1/files"
	pathTransaction = "/v1/transactions"
	pathTx          = "/v1/transactions/%s"
	pathTxDocuments = "/v1/transactions/%s/documents"
	pathTxTemplates = "/v1/transactions/%s/templates"
	pathTxFields    = "/v1/transactions/%s/fields"
	pathTxStart     = "/v1/transactions/%s/start"
	pathTxSealed    = "/v1/transactions/%s/sealed-documents/%s"
	pathWebhooks    = "/v1/webhooks"

	maxUploadBytes = 10 << 20
)

// Events are the webhook event types.
var Events = []string{
	"transaction_created", "transaction_started", "recipient_submitted", "transaction_rejected",
	"transaction_cancelled", "transaction_expired", "transaction_completed",
}

// Transaction statuses.
const (
	StatusDraft     = "draft"
	StatusStarted   = "started"
	StatusCompleted = "completed"
	StatusRejected  = "rejected"
	StatusCancelled = "cancelled"
	StatusExpired   = "expired"
)

// TokenResponse answers the code exchange and the refresh.
type TokenResponse struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ExpiresIn    int64  `json:"expires_in"`
}

// CodeRequest and RefreshRequest are the OAuth bodies.
type CodeRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	Code         string `json:"code"`
}

type RefreshRequest struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	RefreshToken string `json:"refresh_token"`
}

// IDResponse is {id}; UploadResponse is {token}.
type IDResponse struct {
	ID string `json:"id"`
}

type UploadResponse struct {
	Token string `json:"token"`
}

// CreateTransaction creates a draft.
type CreateTransaction struct {
	Name                 string `json:"name"`
	NotificationEndpoint string `json:"notification_endpoint,omitempty"`
}

// AddDocument links an uploaded file.
type AddDocument struct {
	Token string `json:"token"`
}

// UseTemplates instantiates templates.
type UseTemplates struct {
	Templates []TemplateRef `json:"templates"`
}

type TemplateRef struct {
	ID string `json:"id"`
}

// UpdateTransaction sets documents, recipients and messages.
type UpdateTransaction struct {
	EditNavigation bool          `json:"edit_navigation"`
	Documents      []DocumentRef `json:"documents"`
	Name           string        `json:"name"`
	Description    string        `json:"description"`
	EmailSubject   string        `json:"email_subject"`
	EmailBody      string        `json:"email_body"`
	ExpirationDays *int          `json:"expiration_days"`
	Recipients     []Recipient   `json:"recipients"`
}

type DocumentRef struct {
	Index int    `json:"index"`
	ID    string `json:"id"`
}

// Recipient is a sender or signer; Index orders signing.
type Recipient struct {
	ID    string `json:"id"`
	Role  string `json:"role"`
	Index int    `json:"index"`
	Name  string `json:"name"`
	Email string `json:"email"`
}

// Fields are the signature fields.
type Fields struct {
	Fields []Field `json:"fields"`
}

type Field struct {
	ID          string  `json:"id"`
	DocumentID  string  `json:"document_id"`
	RecipientID string  `json:"recipient_id"`
	Page        int     `json:"page"`
	Height      float64 `json:"height"`
	Width       float64 `json:"width"`
	PositionX   float64 `json:"positionX"`
	PositionY   float64 `json:"positionY"`
	Type        string  `json:"type"`
	Label       string  `json:"label"`
	IsRequired  bool    `json:"is_required"`
}

// Transaction is the detail (what firmaflow reads of it).
type Transaction struct {
	ID             string      `json:"id"`
	Status         string      `json:"status"`
	RejectedReason *string     `json:"rejected_reason"`
	RejectedByID   *string     `json:"rejected_by_id"`
	Recipients     []Recipient `json:"recipients"`
	Documents      []struct {
		ID string `json:"id"`
	} `json:"documents"`
}

// Webhook is the event envelope.
type Webhook struct {
	Created string      `json:"created"`
	ID      string      `json:"id"`
	Type    string      `json:"type"`
	Data    WebhookData `json:"data"`
}

type WebhookData struct {
	ID              string           `json:"id"`
	Status          string           `json:"status"`
	Recipient       *Person          `json:"recipient,omitempty"`
	Recipients      []Person         `json:"recipients,omitempty"`
	RejectedBy      *Person          `json:"rejected_by,omitempty"`
	RejectedReason  string           `json:"rejected_reason,omitempty"`
	CancelledReason string           `json:"cancelled_reason,omitempty"`
	SealedDocuments []SealedDocument `json:"sealed_documents,omitempty"`
}

type Person struct {
	ID          string `json:"id"`
	Email       string `json:"email"`
	Name        string `json:"name"`
	Role        string `json:"role"`
	SubmittedAt string `json:"submitted_at,omitempty"`
}

type SealedDocument struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	CreatedAt string `json:"created_at"`
	Document  struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"document"`
}

// CreateWebhook registers a webhook ("Crear webhook").
type CreateWebhook struct {
	Name     string   `json:"name"`
	Endpoint string   `json:"endpoint"`
	Events   []string `json:"events"`
}

// WebhookList is "Listar webhooks".
type WebhookList struct {
	Items []struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Events  []string `json:"events"`
		Enabled bool     `json:"enabled"`
	} `json:"items"`
}
