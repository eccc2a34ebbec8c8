package cluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
)

// SchemaStep is one run of temporal-sql-tool. The connection comes from
// the tool's environment (SQL_HOST, SQL_PORT, SQL_USER, SQL_PASSWORD), so
// the steps are the same wherever they run; schema directories are
// relative to the Temporal server module's root (the module cache here,
// /temporal in the compose image).
type SchemaStep struct {
	Args []string
	// OnlyCreated: run only when the step before created the database
	// (a database that already exists has its schema; update migrates it).
	OnlyCreated bool
}

// SchemaSteps create (when missing) and migrate Temporal's two
// databases: persistence and SQL visibility.
func SchemaSteps() []SchemaStep {
	var steps []SchemaStep
	for _, db := range []struct{ name, dir string }{{"temporal", "temporal"}, {"temporal_visibility", "visibility"}} {
		conn := []string{"--plugin", "postgres12", "--db", db.name}
		steps = append(steps,
			SchemaStep{Args: append(conn[:4:4], "create-database")},
			SchemaStep{Args: append(conn[:4:4], "setup-schema", "-v", "0.0"), OnlyCreated: true},
			SchemaStep{Args: append(conn[:4:4], "update-schema", "-d", "schema/postgresql/v12/"+db.dir+"/versioned")},
		)
	}
	return steps
}

// SchemaScript is SchemaSteps as the shell script docker-compose.yml's
// schema-setup service runs (with tool as the command).
func SchemaScript(tool string) string {
	var b strings.Builder
	steps := SchemaSteps()
	for i := 0; i < len(steps); i++ {
		line := tool + " " + strings.Join(steps[i].Args, " ")
		if i+1 < len(steps) && steps[i+1].OnlyCreated {
			fmt.Fprintf(&b, "if %s; then %s %s; fi\n", line, tool, strings.Join(steps[i+1].Args, " "))
			i++
			continue
		}
		b.WriteString(line + "\n")
	}
	return b.String()
}

// migrate runs SchemaSteps with the tool at bin against PostgreSQL on
// port, from the server module's root dir, logging each step's output.
func migrate(ctx context.Context, bin, dir string, port int, logs *os.File) error {
	created := false
	for _, step := range SchemaSteps() {
		if step.OnlyCreated && !created {
			continue
		}
		cmd := exec.CommandContext(ctx, bin, step.Args...)
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "SQL_HOST=127.0.0.1", "SQL_PORT="+strconv.Itoa(port),
			"SQL_USER="+dbUser, "SQL_PASSWORD="+dbPassword)
		cmd.Stdout, cmd.Stderr = logs, logs
		err := cmd.Run()
		if step.Args[len(step.Args)-1] == "create-database" {
			// Fails when the database exists: then it is only migrated.
			created = err == nil
			continue
		}
		if err != nil {
			return fmt.Errorf("cluster: temporal-sql-tool %s: %w", strings.Join(step.Args, " "), err)
		}
	}
	return nil
}
