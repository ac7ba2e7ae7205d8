package mlp

import (
	"os"
	"strings"
	"testing"
)

// mlpSection is the README's mlp section.
func mlpSection(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	start := strings.Index(doc, "### The `mlp` trainer")
	if start < 0 {
		t.Fatal("README.md has no mlp section (### The `mlp` trainer)")
	}
	doc = doc[start:]
	if end := strings.Index(doc, "\n## "); end >= 0 {
		doc = doc[:end]
	}
	return doc
}

// TestDocsListEveryKey keeps the documentation of the trainer (the
// README's mlp section) in step with the keys the trainer accepts.
func TestDocsListEveryKey(t *testing.T) {
	doc := mlpSection(t)
	for _, k := range Keys() {
		if !strings.Contains(doc, "| `"+k.Name+"`") && !strings.Contains(doc, "`"+k.Name+"`, `") && !strings.Contains(doc, ", `"+k.Name+"` |") {
			t.Errorf("the README's mlp section has no table row for %q", k.Name)
		}
	}
}

// TestDocsListEveryCostMetric: the section's Metrics part has a table row
// for each cost metric the final result holds.
func TestDocsListEveryCostMetric(t *testing.T) {
	doc := mlpSection(t)
	start := strings.Index(doc, "#### Metrics")
	if start < 0 {
		t.Fatal("the README's mlp section has no #### Metrics")
	}
	doc = doc[start:]
	if end := strings.Index(doc[1:], "\n#### "); end >= 0 {
		doc = doc[:end+1]
	}
	for _, m := range costMetrics {
		if !strings.Contains(doc, "| `"+m+"` |") {
			t.Errorf("the README's mlp Metrics have no table row for %q", m)
		}
	}
}
