package jsbus

import (
	"fmt"
	"net"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nkeys"

	"warren/domain"
)

// ServerConfig configures an embedded NATS server.
type ServerConfig struct {
	// Dir holds JetStream's file store (streams, consumers, the owners
	// bucket). Required: a restart on the same Dir finds them again.
	Dir string
	// Host and Port to listen on for clients; Port 0 picks a free one
	// (tests), and a restart passes the port it got to come back on it.
	Host string
	Port int
	// MaxPayload caps one message (default 8 MiB, room for a capture's
	// bodies at the largest plan's capture limit).
	MaxPayload int32
	// NKeys are the public user nkeys ("U...") allowed to connect: the
	// control plane's and each edge's. With none, any client on Host may
	// connect, so a Host beyond loopback requires them: whoever can
	// publish captures writes into the log.
	NKeys []string
}

// Server is an nats-server with JetStream running in this process: what
// `serve --role all|control` starts unless given --nats-url.
type Server struct {
	ns  *server.Server
	cfg ServerConfig
}

// readyWait bounds the wait for the server to accept clients.
const readyWait = 10 * time.Second

// StartServer starts an embedded server with JetStream, its file store
// under cfg.Dir, and returns once it accepts clients. It fails with
// CodeInvalid without a Dir and CodeUnavailable when it cannot start (the
// port is taken, the store dir is unusable).
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.Dir == "" {
		return nil, domain.Errorf(domain.CodeInvalid, "an embedded NATS server needs a store directory")
	}
	if cfg.Host == "" {
		cfg.Host = "127.0.0.1"
	}
	if cfg.MaxPayload == 0 {
		cfg.MaxPayload = 8 << 20
	}
	if len(cfg.NKeys) == 0 && !loopback(cfg.Host) {
		return nil, domain.Errorf(domain.CodeInvalid, "an embedded NATS server listening on %s needs nkeys: without them anyone who reaches it can write captures into the log", cfg.Host)
	}
	var users []*server.NkeyUser
	for _, k := range cfg.NKeys {
		if !nkeys.IsValidPublicUserKey(k) {
			return nil, domain.Errorf(domain.CodeInvalid, "%q is not a public user nkey", k)
		}
		users = append(users, &server.NkeyUser{Nkey: k})
	}
	port := cfg.Port
	if port == 0 {
		port = server.RANDOM_PORT
	}
	ns, err := server.NewServer(&server.Options{
		Nkeys:      users,
		ServerName: "warren",
		Host:       cfg.Host,
		Port:       port,
		JetStream:  true,
		StoreDir:   cfg.Dir,
		MaxPayload: cfg.MaxPayload,
		// The process's signals are the composition root's, not NATS's.
		NoSigs: true,
		// No HTTP monitoring port, no cluster: one node, on loopback or
		// the operator's chosen address.
	})
	if err != nil {
		return nil, domain.Errorf(domain.CodeInvalid, "configuring the embedded NATS server: %v", err)
	}
	ns.Start()
	if !ns.ReadyForConnections(readyWait) {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, domain.Errorf(domain.CodeUnavailable, "the embedded NATS server did not start on %s within %s", net.JoinHostPort(cfg.Host, fmt.Sprint(cfg.Port)), readyWait)
	}
	if !ns.JetStreamEnabled() {
		ns.Shutdown()
		ns.WaitForShutdown()
		return nil, domain.Errorf(domain.CodeUnavailable, "JetStream did not start in the embedded NATS server (store %s)", cfg.Dir)
	}
	cfg.Port = ns.Addr().(*net.TCPAddr).Port
	return &Server{ns: ns, cfg: cfg}, nil
}

// loopback reports whether host names this machine only.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// URL is the address clients connect to (nats://host:port).
func (s *Server) URL() string { return s.ns.ClientURL() }

// Config is the configuration the server runs with, its Port the one it
// got: StartServer(s.Config()) after Shutdown brings it back on the same
// port and store.
func (s *Server) Config() ServerConfig { return s.cfg }

// Shutdown stops the server and returns once its goroutines are done and
// its store is flushed and closed.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
}
