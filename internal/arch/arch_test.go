package arch

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/firmaflow/firmaflow/internal/modules"
)

const module = "github.com/firmaflow/firmaflow"

// neutral are the packages that know providers only through
// providers.Module and the capability interfaces.
var neutral = []string{"signing", "workflows", "activities", "webhookbridge", "routing", "connect"}

// TestNeutralPackagesNameNoProvider: no non-test Go file of a neutral
// package names a provider of the module list, not even in a comment, so
// no provider-specific branch can hide there.
func TestNeutralPackagesNameNoProvider(t *testing.T) {
	if len(modules.All) == 0 {
		t.Fatal("the module list is empty: nothing to check against")
	}
	for _, dir := range neutral {
		files, err := filepath.Glob(filepath.Join("..", "..", dir, "*.go"))
		if err != nil || len(files) == 0 {
			t.Fatalf("%s: no Go files found (%v)", dir, err)
		}
		for _, f := range files {
			if strings.HasSuffix(f, "_test.go") {
				continue
			}
			src, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			text := strings.ToLower(string(src))
			for _, m := range modules.All {
				if i := strings.Index(text, strings.ToLower(m.Name)); i >= 0 {
					line := strings.Count(text[:i], "\n") + 1
					t.Errorf("%s:%d names the provider %q: declare a capability in its module instead", f, line, m.Name)
				}
			}
		}
	}
}

// TestClientSideLinksNoWorkerCode: the starter dials Temporal (connect),
// addresses work by contract names (signing) and links no provider client
// and no workflow or activity code; the bridge delivers by workflow id
// (routing) without the worker's packages.
func TestClientSideLinksNoWorkerCode(t *testing.T) {
	for _, tc := range []struct {
		pattern   string
		forbidden []string
	}{
		{"./starter/...", []string{"/providers", "/workflows", "/activities", "/internal/app"}},
		{"./webhookbridge", []string{"/workflows", "/activities"}},
	} {
		deps := goListDeps(t, tc.pattern)
		for _, dep := range deps {
			for _, f := range tc.forbidden {
				if dep == module+f || strings.HasPrefix(dep, module+f+"/") {
					t.Errorf("%s links %s", tc.pattern, dep)
				}
			}
		}
	}
}

func goListDeps(t *testing.T, pattern string) []string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	cmd := exec.Command(goBin, "list", "-deps", pattern)
	cmd.Dir = filepath.Join("..", "..")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -deps %s: %v", pattern, err)
	}
	deps := strings.Fields(string(out))
	if !containsPrefix(deps, module+"/") {
		t.Fatalf("go list -deps %s lists no firmaflow package: %q", pattern, deps)
	}
	return deps
}

func containsPrefix(list []string, prefix string) bool {
	for _, s := range list {
		if strings.HasPrefix(s, prefix) {
			return true
		}
	}
	return false
}
