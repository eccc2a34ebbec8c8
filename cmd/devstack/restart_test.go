package main

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

// TestProcessCarriesOnAfterTheDevStackIsKilled plays the user's story with
// the real command: a process is mid-way when the dev stack is killed with
// SIGKILL (no Close, nothing flushed on the way out); the same command
// started again on the same state directory completes it.
func TestProcessCarriesOnAfterTheDevStackIsKilled(t *testing.T) {
	needsTemporal(t)
	ctx := context.Background()
	dir := t.TempDir()
	bin := buildDevstack(t)
	args := devstackArgs(t, dir, "-step", "1s")
	temporalAddr := args[3]
	stack := startDevstack(t, bin, args, dir)

	c, err := client.Dial(client.Options{HostPort: temporalAddr})
	if err != nil {
		t.Fatal(err)
	}
	store, err := docstore.Open(ctx, filepath.Join(dir, "docs"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	id := processes.NewProcessID()
	doc, err := store.Put(ctx, "inbox/"+id+"/contract.pdf", strings.NewReader("%PDF-1.4\nkilled\n%%EOF\n"), "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	in := signing.Input{ProcessID: id, Provider: "arqsign", Title: "Killed [sim:sign]", ExpiresInDays: 10,
		Documents: []signing.DocumentRef{{Name: "contract.pdf", Key: doc.Key}}}
	for i := 1; i <= 6; i++ {
		in.Signers = append(in.Signers, signing.Signer{Name: fmt.Sprintf("Signer %d", i), Email: fmt.Sprintf("s%d@example.com", i), Order: i})
	}
	if _, err := processes.Start(ctx, c, "firmaflow", in); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, err := processes.State(ctx, c, id)
		signed := 0
		for _, s := range st.Signers {
			if s.Status == signing.SignerSigned {
				signed++
			}
		}
		if err == nil && signed >= 1 {
			if signed == len(in.Signers) || st.Status == signing.StatusCompleted {
				t.Fatal("completed before the kill: the test proves nothing")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no signature after 2 minutes: %+v %v", st, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	c.Close()
	time.Sleep(300 * time.Millisecond) // the simulators persist within 100 ms of a change
	kids := children(stack.Process.Pid)
	stack.Process.Signal(syscall.SIGKILL)
	stack.Wait()

	// Its Temporal child dies with it (Pdeathsig), freeing the ports (a
	// restart refuses a taken port): wait for the kernel to finish it.
	deadline = time.Now().Add(10 * time.Second)
	for _, k := range kids {
		for alive(k) {
			if time.Now().After(deadline) {
				t.Fatalf("Temporal child %d outlived the SIGKILLed dev stack", k)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	startDevstack(t, bin, args, dir)
	c, err = client.Dial(client.Options{HostPort: temporalAddr})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	defer cancel()
	res, err := processes.Result(wctx, c.GetWorkflow(wctx, signing.WorkflowID(id), ""))
	if err != nil {
		t.Fatal(err)
	}
	if res.Status != signing.StatusCompleted || len(res.Documents) == 0 {
		t.Fatalf("after the restart the process ended %s (%s) with %d documents", res.Status, res.Reason, len(res.Documents))
	}
}
