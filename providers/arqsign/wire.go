package arqsign

// Everything ArqSIGN calls things lives in this file.
//
// Documented (ArqSIGN manual, "Integrações > API" and "Webhook" pages, and
// the integration flow in ../shared/seeds/arqsign-integration-flow.md):
//   - headers AppKey and SubscriptionKey;
//   - POST /api/v2/processo/enviar-documento-para-assinar request fields and
//     the idProcesso in its answer;
//   - PATCH /api/v2/processo/{idProcesso}/reenviar-processo with a JSON array
//     body ([] resends to every pending signer unchanged; after an expiry it
//     also renews their signing token);
//   - PATCH /api/v1/processo/{idProcesso}/cancelar-processo (no body; 422
//     "Documento cancelado." when already cancelled);
//   - GET /api/v1/processo/{idProcesso}/status-do-processo and its idStatus
//     values 1 Criado, 2 Aguardando, 3 Em processo, 4 Concluído, 5 Cancelado,
//     with expirado as a separate flag;
//   - the webhook's trigger ids (gatilhos 1–8), its general part (evento,
//     idEvento, idProcesso, idConta, idWebhook, dataHoraAtual, statusProcesso,
//     idStatusProcesso) and its HMAC header (SHA-256 HMAC of the body with the
//     webhook's "chave secreta HMAC").
//
// Chosen by firmaflow (the manual shows the rest of the webhook only in a
// cropped screenshot): the signer and document sections of the webhook reuse
// the names of GET /api/v2/processo/{idProcesso} — signatarios[] with id,
// nome, email, telefone, assinado, dataAssinatura, falhaEnvio,
// assinaturaRecusada, motivoRecusa; documentos[] with nomeDocumento,
// linkParaBaixarDocumento or base64Documento, and registroAssinaturas
// {nome, linkParaBaixar | base64}. The HMAC is accepted hex or Base64
// encoded, since the manual does not say which.

const (
	headerAppKey          = "AppKey"
	headerSubscriptionKey = "SubscriptionKey"
	headerHMAC            = "HMAC"

	pathSend   = "/api/v2/processo/enviar-documento-para-assinar"
	pathResend = "/api/v2/processo/%s/reenviar-processo"
	pathCancel = "/api/v1/processo/%s/cancelar-processo"
	pathStatus = "/api/v1/processo/%s/status-do-processo"
	// pathDetails reads a process with its signers and documents;
	// arquivoTipo=2 asks for download links instead of Base64.
	pathDetails = "/api/v2/processo/%s?arquivoTipo=2"
)

// Trigger ids (gatilhos) of the webhook.
const (
	TriggerSent           = 1 // Processo enviado
	TriggerDeliveryFailed = 2 // Processo com falha de envio
	TriggerSigned         = 3 // Processo assinado por algum signatário
	TriggerRejected       = 4 // Processo recusado por algum signatário
	TriggerCancelled      = 5 // Processo cancelado pelo remetente
	TriggerExpired        = 6 // Processo expirado
	TriggerResent         = 7 // Processo reenviado
	TriggerCompleted      = 8 // Processo assinado/concluído por todos os signatários
)

// TriggerNames are the trigger descriptions ArqSIGN uses as "evento".
var TriggerNames = map[int]string{
	TriggerSent:           "Processo enviado",
	TriggerDeliveryFailed: "Processo com falha de envio",
	TriggerSigned:         "Processo assinado por algum signatário",
	TriggerRejected:       "Processo recusado por algum signatário",
	TriggerCancelled:      "Processo cancelado pelo remetente",
	TriggerExpired:        "Processo expirado",
	TriggerResent:         "Processo reenviado",
	TriggerCompleted:      "Processo assinado/concluído por todos os signatários",
}

// Process status ids (idStatus, idStatusProcesso).
const (
	StatusCreated    = 1 // Criado
	StatusWaiting    = 2 // Aguardando
	StatusInProgress = 3 // Em processo
	StatusCompleted  = 4 // Concluído
	StatusCancelled  = 5 // Cancelado
)

// Action, signature and person types used when sending.
const (
	actionSignOnline       = 1 // idTipoAcao: Assinar Online
	signatureElectronic    = 1 // idTipoAssinatura: Assinatura Eletrônica
	signAsNaturalPerson    = 1 // assinarComo: Pessoa Física
	documentTypeCPF        = 1 // tipoDocumentoAInformar: CPF
	maxDocumentsPerProcess = 25
	maxProcessBytes        = 100 << 20 // the sum of a process's files
)

// SendRequest is the body of POST enviar-documento-para-assinar, without
// documentos: those are streamed (Base64) after it, see Client.Send.
type SendRequest struct {
	IDResponsavel                   string            `json:"idResponsavel"`
	NomeProcesso                    string            `json:"nomeProcesso"`
	IDPasta                         string            `json:"idPasta"`
	ConfiguracoesAvancadas          *AdvancedSettings `json:"configuracoesAvancadas,omitempty"`
	MensagemPadrao                  *Message          `json:"mensagemPadrao,omitempty"`
	UsarOrdemAssinatura             bool              `json:"usarOrdemAssinatura"`
	UsarPosicaoAssinaturaAutomatica bool              `json:"usarPosicaoAssinaturaAutomatica"`
	Destinatarios                   []Recipient       `json:"destinatarios"`
	// Documentos is only filled when decoding (the simulator reads it).
	Documentos []Document `json:"documentos,omitempty"`
}

// AdvancedSettings is configuracoesAvancadas.
type AdvancedSettings struct {
	TempoExpiracaoDocumentoDias int `json:"tempoExpiracaoDocumentoDias,omitempty"`
}

// Message is mensagemPadrao.
type Message struct {
	Titulo string `json:"titulo"`
	Texto  string `json:"texto"`
}

// Recipient is one destinatário.
type Recipient struct {
	IDTipoAcao      int         `json:"idTipoAcao"`
	OrdemAssinatura int         `json:"ordemAssinatura,omitempty"`
	Nome            string      `json:"nome"`
	Email           string      `json:"email,omitempty"`
	Telefone        string      `json:"telefone,omitempty"`
	AssinarOnline   *SignOnline `json:"assinarOnline,omitempty"`
}

// SignOnline is assinarOnline.
type SignOnline struct {
	AssinarComo          int                  `json:"assinarComo"`
	IDTipoAssinatura     int                  `json:"idTipoAssinatura"`
	AssinaturaEletronica *ElectronicSignature `json:"assinaturaEletronica,omitempty"`
}

// ElectronicSignature is assinaturaEletronica.
type ElectronicSignature struct {
	ObrigarSignatarioInformarNome            bool `json:"obrigarSignatarioInformarNome"`
	ObrigarSignatarioInformarNumeroDocumento bool `json:"obrigarSignatarioInformarNumeroDocumento"`
	TipoDocumentoAInformar                   int  `json:"tipoDocumentoAInformar"`
}

// Document is one entry of documentos.
type Document struct {
	OrdemDocumento  int    `json:"ordemDocumento"`
	NomeComExtensao string `json:"nomeComExtensao"`
	Arquivo         string `json:"arquivo"`
}

// SendResponse is the answer to a send. The manual spells the id both
// "IdProcesso" and "idProcesso"; encoding/json matches either.
type SendResponse struct {
	IDProcesso string `json:"idProcesso"`
	Documentos []struct {
		ID   string `json:"id"`
		Nome string `json:"nome"`
	} `json:"documentos"`
}

// StatusResponse is the answer of status-do-processo.
type StatusResponse struct {
	NomeProcesso string `json:"nomeProcesso"`
	Status       string `json:"status"`
	IDStatus     int    `json:"idStatus"`
	Expirado     bool   `json:"expirado"`
}

// ProcessDetails is GET /api/v2/processo/{idProcesso} (what firmaflow
// reads of it: its signatarios and documentos share the webhook's names).
type ProcessDetails struct {
	NomeProcesso string            `json:"nomeProcesso"`
	Status       string            `json:"status"`
	IDStatus     int               `json:"idStatus"`
	Signatarios  []WebhookSigner   `json:"signatarios"`
	Documentos   []WebhookDocument `json:"documentos"`
}

// WebhookPayload is a monitoring or completion webhook.
type WebhookPayload struct {
	Evento           string `json:"evento"`
	IDEvento         int    `json:"idEvento"`
	IDProcesso       string `json:"idProcesso"`
	IDConta          string `json:"idConta"`
	IDWebhook        string `json:"idWebhook"`
	DataHoraAtual    string `json:"dataHoraAtual"`
	NomeProcesso     string `json:"nomeProcesso,omitempty"`
	StatusProcesso   string `json:"statusProcesso,omitempty"`
	IDStatusProcesso int    `json:"idStatusProcesso,omitempty"`
	// DataReenvio and DataRenovacao change with each resend and renewal, so
	// they tell a new failure or expiry from a redelivery of the old one.
	DataReenvio   string            `json:"dataReenvio,omitempty"`
	DataRenovacao string            `json:"dataRenovacao,omitempty"`
	DataExpiracao string            `json:"dataExpiracao,omitempty"`
	Signatarios   []WebhookSigner   `json:"signatarios,omitempty"`
	Documentos    []WebhookDocument `json:"documentos,omitempty"`
}

// WebhookSigner is a signatário in a webhook.
type WebhookSigner struct {
	ID                 string `json:"id"`
	Nome               string `json:"nome"`
	Email              string `json:"email,omitempty"`
	Telefone           string `json:"telefone,omitempty"`
	Assinado           bool   `json:"assinado"`
	DataAssinatura     string `json:"dataAssinatura,omitempty"`
	FalhaEnvio         bool   `json:"falhaEnvio"`
	AssinaturaRecusada bool   `json:"assinaturaRecusada"`
	MotivoRecusa       string `json:"motivoRecusa,omitempty"`
}

// WebhookDocument is a documento in the completion webhook.
type WebhookDocument struct {
	ID                         string               `json:"id"`
	OrdemDocumento             int                  `json:"ordemDocumento"`
	NomeDocumento              string               `json:"nomeDocumento"`
	LinkParaBaixarDocumento    string               `json:"linkParaBaixarDocumento,omitempty"`
	Base64Documento            string               `json:"base64Documento,omitempty"`
	LinkDocumentoCompartilhado string               `json:"linkDocumentoCompartilhado,omitempty"`
	RegistroAssinaturas        *WebhookSignatureLog `json:"registroAssinaturas,omitempty"`
}

// WebhookSignatureLog is a document's signature record (registro de assinaturas).
type WebhookSignatureLog struct {
	Nome           string `json:"nome"`
	LinkParaBaixar string `json:"linkParaBaixar,omitempty"`
	Base64         string `json:"base64,omitempty"`
}
