package connect_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/operatorservice/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/firmaflow/firmaflow/internal/authserver"
	"github.com/firmaflow/firmaflow/internal/devserver"
	"github.com/firmaflow/firmaflow/signing"
)

// runWorkerBinary builds and runs the worker binary in the test's
// environment (the TEMPORAL_* variables clientEnv set) and waits until it
// has registered firmaflow's search attributes and polls its task queue:
// the binary connected and works. Its log must not hold the client key.
func runWorkerBinary(t *testing.T, key authserver.KeyPair) {
	t.Helper()
	root, err := devserver.RepoRoot()
	require.NoError(t, err)
	dir := t.TempDir()
	bin := filepath.Join(dir, "worker")
	build := exec.Command("go", "build", "-o", bin, "./worker")
	build.Dir = root
	out, err := build.CombinedOutput()
	require.NoError(t, err, "%s", out)

	const taskQueue = "firmaflow-binary"
	var logs bytes.Buffer
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "FIRMAFLOW_DOCSTORE_URL="+filepath.Join(dir, "docs"), "FIRMAFLOW_TASK_QUEUE="+taskQueue,
		"FIRMAFLOW_WORKER_METRICS_ADDR=none", "FIRMAFLOW_LOG_LEVEL=debug",
		// No provider: their secrets are not this test's subject.
		"ARQSIGN_ENABLED=false", "CONTRACTUALIS_ENABLED=false", "AUTOSIGN_ENABLED=false", "CELLOSIGN_ENABLED=false")
	cmd.Stdout, cmd.Stderr = &logs, &logs
	require.NoError(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		require.NotContains(t, logs.String(), string(key.Key[40:80]), "the worker logged its key")
		if t.Failed() {
			t.Logf("worker log:\n%s", logs.String())
		}
	}()

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c, cfg, err := dial(ctx)
	require.NoError(t, err)
	defer c.Close()
	for {
		attrs, err := c.OperatorService().ListSearchAttributes(ctx, &operatorservice.ListSearchAttributesRequest{Namespace: cfg.Temporal.Namespace})
		require.NoError(t, err)
		_, registered := attrs.GetCustomAttributes()[signing.SearchAttributeNames[0]]
		tq, err := c.WorkflowService().DescribeTaskQueue(ctx, &workflowservice.DescribeTaskQueueRequest{
			Namespace: cfg.Temporal.Namespace, TaskQueue: &taskqueuepb.TaskQueue{Name: taskQueue},
			TaskQueueType: enumspb.TASK_QUEUE_TYPE_WORKFLOW})
		require.NoError(t, err)
		if registered && len(tq.GetPollers()) > 0 {
			return
		}
		select {
		case err := <-exited:
			exited <- err
			t.Fatalf("the worker exited: %v", err)
		case <-ctx.Done():
			t.Fatalf("the worker did not register search attributes and poll in time (registered %v, pollers %d)", registered, len(tq.GetPollers()))
		case <-time.After(200 * time.Millisecond):
		}
	}
}
