package authserver

import "text/template"

// serverConfig is the real server's configuration: in-memory SQLite, one
// shard, every service on 127.0.0.1, the frontend behind TLS. Ports:
// frontend gRPC, HTTP, membership; history, matching, worker gRPC and
// membership.
var serverConfig = template.Must(template.New("server").Parse(`log:
  stdout: true
  level: warn
persistence:
  defaultStore: db
  visibilityStore: visibility
  numHistoryShards: 1
  datastores:
    db:
      sql: &sqlite
        pluginName: sqlite
        databaseName: default
        connectAddr: localhost
        connectProtocol: tcp
        connectAttributes: {mode: memory, cache: private}
        maxConns: 1
        maxIdleConns: 1
        maxConnLifetime: 1h
    visibility:
      sql: *sqlite
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
  tls:
    frontend:
      server:
        certFile: {{printf "%q" .ServerCert}}
        keyFile: {{printf "%q" .ServerKey}}
        clientCaFiles: [{{printf "%q" .CAFile}}]
        requireClientAuth: {{.RequireClientCert}}
      client:
        serverName: localhost
        rootCaFiles: [{{printf "%q" .CAFile}}]
    systemWorker:
      certFile: {{printf "%q" .WorkerCert}}
      keyFile: {{printf "%q" .WorkerKey}}
      client:
        serverName: localhost
        rootCaFiles: [{{printf "%q" .CAFile}}]
{{- if .JWKSURL}}
  authorization:
    jwtKeyProvider:
      keySourceURIs: [{{printf "%q" .JWKSURL}}]
      refreshInterval: 1m
    permissionsClaimName: permissions
    authorizer: default
    claimMapper: default
{{- end}}
services:
  frontend:
    rpc: {grpcPort: {{index .Ports 0}}, httpPort: {{index .Ports 1}}, membershipPort: {{index .Ports 2}}, bindOnLocalHost: true}
  history:
    rpc: {grpcPort: {{index .Ports 3}}, membershipPort: {{index .Ports 4}}, bindOnLocalHost: true}
  matching:
    rpc: {grpcPort: {{index .Ports 5}}, membershipPort: {{index .Ports 6}}, bindOnLocalHost: true}
  worker:
    rpc: {grpcPort: {{index .Ports 7}}, membershipPort: {{index .Ports 8}}, bindOnLocalHost: true}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: 127.0.0.1:{{index .Ports 0}}
      httpAddress: 127.0.0.1:{{index .Ports 1}}
dcRedirectionPolicy:
  policy: noop
`))
