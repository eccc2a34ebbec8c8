// Package promtest reads a Prometheus page for tests: the families it
// serves and the value of one series picked by some of its labels.
package promtest

import (
	"io"
	"net/http"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Page is a scraped Prometheus page.
type Page map[string]*dto.MetricFamily

// Scrape GETs url and parses the page.
func Scrape(t testing.TB, url string) Page {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape %s: %v", url, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("scrape %s: %s: %s", url, resp.Status, body)
	}
	return Parse(t, resp.Body)
}

// Parse reads a page in the text format.
func Parse(t testing.TB, r io.Reader) Page {
	t.Helper()
	parser := expfmt.NewTextParser(model.UTF8Validation)
	families, err := parser.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("parse metrics page: %v", err)
	}
	return Page(families)
}

// Sum adds the values of family name's series that carry every label of
// want: a counter's or gauge's value, a histogram's count. found says
// whether any series matched.
func (p Page) Sum(name string, want map[string]string) (sum float64, found bool) {
	f, ok := p[name]
	if !ok {
		return 0, false
	}
series:
	for _, m := range f.GetMetric() {
		labels := map[string]string{}
		for _, l := range m.GetLabel() {
			labels[l.GetName()] = l.GetValue()
		}
		for k, v := range want {
			if labels[k] != v {
				continue series
			}
		}
		found = true
		switch {
		case m.Counter != nil:
			sum += m.GetCounter().GetValue()
		case m.Gauge != nil:
			sum += m.GetGauge().GetValue()
		case m.Histogram != nil:
			sum += float64(m.GetHistogram().GetSampleCount())
		case m.Untyped != nil:
			sum += m.GetUntyped().GetValue()
		}
	}
	return sum, found
}

// Positive fails t unless family name has a series with the labels of
// want whose value (count, for a histogram) is above zero.
func (p Page) Positive(t testing.TB, name string, want map[string]string) {
	t.Helper()
	sum, found := p.Sum(name, want)
	if !found {
		t.Errorf("no series %s%v on the page (families: %d)", name, want, len(p))
		return
	}
	if sum <= 0 {
		t.Errorf("series %s%v is %v, want > 0", name, want, sum)
	}
}
