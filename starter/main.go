// Command starter starts a signing process from a JSON input file and prints
// its workflow id and Temporal UI link; with -wait it prints the result.
//
//	go run ./starter -input examples/arqsign-demo.json -wait
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"

	"github.com/firmaflow/firmaflow/config"
	"github.com/firmaflow/firmaflow/connect"
	"github.com/firmaflow/firmaflow/docstore"
	"github.com/firmaflow/firmaflow/signing"
	"github.com/firmaflow/firmaflow/starter/processes"
)

func main() {
	input := flag.String("input", "", "process input JSON file (see README)")
	wait := flag.Bool("wait", false, "wait for the process to end and print its result")
	upload := flag.Bool("upload", true, "upload documents whose key is a local file path into the document store first")
	flag.Parse()
	if *input == "" {
		fmt.Fprintln(os.Stderr, "usage: starter -input process.json [-wait]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	if err := run(ctx, *input, *wait, *upload); err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, path string, wait, upload bool) error {
	cfg, err := config.Load(ctx)
	if err != nil {
		return err
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	// Unknown fields are refused, not dropped: a typo would otherwise
	// change the process silently, and the workflow's own fields
	// (continued, archive_only, provider_ref) are no input.
	var in signing.Input
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if in.ProcessID == "" {
		in.ProcessID = processes.NewProcessID()
	}
	if upload {
		if in.Documents, err = uploadLocalFiles(ctx, cfg, in); err != nil {
			return err
		}
	}
	log := cfg.Log.Logger().With("component", "starter")
	c, err := connect.Temporal(ctx, cfg, log)
	if err != nil {
		return err
	}
	defer c.Close()
	run, err := processes.Start(ctx, c, cfg.Temporal.TaskQueue, in)
	if err != nil {
		return err
	}
	fmt.Printf("process:  %s\nworkflow: %s\nui:       %s\n", in.ProcessID, run.GetID(),
		processes.RunURL(cfg.Temporal.UIURL, cfg.Temporal.Namespace, run.GetID(), run.GetRunID()))
	if !wait {
		return nil
	}
	res, err := processes.Result(ctx, run)
	if err != nil {
		return fmt.Errorf("process failed: %w", err)
	}
	out, _ := json.MarshalIndent(res, "", "  ")
	fmt.Println(string(out))
	return nil
}

// uploadLocalFiles stores documents whose key names an existing local file,
// so an input file can point at PDFs on disk.
func uploadLocalFiles(ctx context.Context, cfg config.Config, in signing.Input) ([]signing.DocumentRef, error) {
	var store *docstore.Store
	out := make([]signing.DocumentRef, 0, len(in.Documents))
	for _, d := range in.Documents {
		if st, err := os.Stat(d.Key); err != nil || st.IsDir() {
			out = append(out, d)
			continue
		}
		if store == nil {
			var err error
			if store, err = docstore.Open(ctx, cfg.Store.URL); err != nil {
				return nil, err
			}
			defer store.Close()
		}
		refs, err := processes.UploadFiles(ctx, store, in.ProcessID, []string{d.Key})
		if err != nil {
			return nil, err
		}
		refs[0].Name = d.Name
		slog.Debug("uploaded", "file", d.Key, "key", refs[0].Key)
		out = append(out, refs[0])
	}
	return out, nil
}
