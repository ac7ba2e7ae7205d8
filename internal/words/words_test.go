package words

import (
	"reflect"
	"testing"
)

func TestWords(t *testing.T) {
	if got := Plural(1, "trial"); got != "1 trial" {
		t.Errorf("Plural(1) = %q", got)
	}
	if got := Plural(0, "trial") + ", " + Plural(3, "trial"); got != "0 trials, 3 trials" {
		t.Errorf("Plural(0), Plural(3) = %q", got)
	}
	if IsAre(1) != "is" || IsAre(2) != "are" || IsAre(0) != "are" {
		t.Error("IsAre disagrees with its count")
	}
	if got := NonEmpty("a", "", "b", ""); !reflect.DeepEqual(got, []string{"a", "b"}) {
		t.Errorf("NonEmpty = %q", got)
	}
	if got := NonEmpty("", ""); got != nil {
		t.Errorf("NonEmpty of nothing = %q, want nil", got)
	}
}
