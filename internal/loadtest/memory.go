package loadtest

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Series read from a Prometheus page: the process collector's RSS, the Go
// collector's heap, and the Temporal SDK's sticky cache gauge.
const (
	seriesRSS         = "process_resident_memory_bytes"
	seriesHeapAlloc   = "go_memstats_heap_alloc_bytes"
	seriesHeapInuse   = "go_memstats_heap_inuse_bytes"
	seriesGoroutines  = "go_goroutines"
	seriesStickyCache = "temporal_sticky_cache_size"
)

// MemoryReading is what one process's metrics page said. A figure the
// page lacks is -1.
type MemoryReading struct {
	// Role is "worker", "bridge" or "stack" (the embedded stack's own
	// process); Component says what runs in the process.
	Role, Component string
	URL             string
	// RSS, HeapAlloc and HeapInuse are bytes.
	RSS, HeapAlloc, HeapInuse float64
	Goroutines                float64
	// StickyCache is how many workflow executions the worker holds in its
	// cache.
	StickyCache float64
	// Err says why the page could not be read; the figures are then -1.
	Err string
}

// metricsPage is a Prometheus page to read, and what runs behind it;
// inProcess: this process serves it.
type metricsPage struct {
	role, component, url string
	inProcess            bool
}

// readMemory reads the memory figures from a Prometheus text page.
func readMemory(ctx context.Context, page metricsPage) MemoryReading {
	r := MemoryReading{Role: page.role, Component: page.component, URL: page.url, RSS: -1, HeapAlloc: -1, HeapInuse: -1, Goroutines: -1, StickyCache: -1}
	families, err := scrape(ctx, page.url)
	if err != nil {
		r.Err = err.Error()
		return r
	}
	for name, dst := range map[string]*float64{
		seriesRSS: &r.RSS, seriesHeapAlloc: &r.HeapAlloc, seriesHeapInuse: &r.HeapInuse,
		seriesGoroutines: &r.Goroutines, seriesStickyCache: &r.StickyCache,
	} {
		if f, ok := families[name]; ok {
			*dst = maxOf(f)
		}
	}
	return r
}

func scrape(ctx context.Context, url string) (map[string]*dto.MetricFamily, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics page %s: %w", url, err)
	}
	// Text, not protobuf or OpenMetrics: what the text parser reads.
	req.Header.Set("Accept", "text/plain; version=0.0.4")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics page %s: %w", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		io.Copy(io.Discard, resp.Body)
		return nil, fmt.Errorf("loadtest: metrics page %s answered %d", url, resp.StatusCode)
	}
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("loadtest: metrics page %s: %w", url, err)
	}
	return families, nil
}

// maxOf is the largest value of a gauge (or untyped series) over its
// label sets. The process series have one; the SDK's sticky cache gauge is
// the whole (process-wide) cache's size, set under the workflow type of
// the task that last touched it, so its largest value is the size at the
// latest such task at most.
func maxOf(f *dto.MetricFamily) float64 {
	out := -1.0
	for _, m := range f.GetMetric() {
		switch {
		case m.GetGauge() != nil:
			out = max(out, m.GetGauge().GetValue())
		case m.GetUntyped() != nil:
			out = max(out, m.GetUntyped().GetValue())
		}
	}
	return out
}
