package loadtest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestReadMemoryTakesTheProcessAndGoFigures(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		w.Write([]byte(`# HELP process_resident_memory_bytes Resident memory size in bytes.
# TYPE process_resident_memory_bytes gauge
process_resident_memory_bytes 1.572864e+08
# TYPE go_memstats_heap_alloc_bytes gauge
go_memstats_heap_alloc_bytes 6.4e+07
# TYPE go_memstats_heap_inuse_bytes gauge
go_memstats_heap_inuse_bytes 7e+07
# TYPE go_goroutines gauge
go_goroutines 512
# TYPE temporal_sticky_cache_size gauge
temporal_sticky_cache_size{workflow_type="SigningProcess"} 900
temporal_sticky_cache_size{workflow_type="ProcessRoute"} 899
`))
	}))
	defer srv.Close()
	r := readMemory(context.Background(), metricsPage{role: "worker", component: "worker", url: srv.URL})
	require.Empty(t, r.Err)
	require.Equal(t, MemoryReading{Role: "worker", Component: "worker", URL: srv.URL, RSS: 157286400, HeapAlloc: 64e6, HeapInuse: 70e6,
		Goroutines: 512, StickyCache: 900}, r, "the cache gauge is the whole cache's size under each workflow type: not summed")
}

func TestReadMemorySaysWhatItCouldNotRead(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Write([]byte("go_goroutines 3\n"))
	}))
	defer srv.Close()
	r := readMemory(context.Background(), metricsPage{component: "bridge", url: srv.URL})
	require.Empty(t, r.Err)
	require.Equal(t, 3.0, r.Goroutines)
	require.Equal(t, -1.0, r.RSS, "a page without the process collector")
	require.Equal(t, -1.0, r.StickyCache)

	srv.Close()
	r = readMemory(context.Background(), metricsPage{component: "bridge", url: srv.URL})
	require.NotEmpty(t, r.Err)
	require.Equal(t, -1.0, r.HeapAlloc)
}
