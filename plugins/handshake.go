package plugins

import (
	"context"
	"io"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	"automl/plugins/internal/proc"
	"automl/plugins/internal/trainerpb"
	"automl/trial"
)

// handshake must match between host and plugin. The cookie is not a
// security measure; it stops a plugin binary run by hand from waiting on a
// handshake nobody will complete. Bump ProtocolVersion on a breaking change
// of trainer.proto.
var handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "AUTOML_PLUGIN_COOKIE",
	MagicCookieValue: "6f1c2a7e-automl-trainer",
}

// pluginName is the one plugin a process dispenses.
const pluginName = "trainer"

// grpcPlugin adapts the trainer service to go-plugin: the server side
// wraps a trial.Runner, the client side returns the generated client.
type grpcPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	runner trial.Runner // server side only
	reaper *proc.Reaper // server side only
	stderr io.Writer    // server side only: the process's own stderr (see Serve)
}

func (p *grpcPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	trainerpb.RegisterTrainerServer(s, &server{runner: p.runner, reaper: p.reaper, stderr: p.stderr})
	return nil
}

func (p *grpcPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (any, error) {
	return trainerpb.NewTrainerClient(c), nil
}
