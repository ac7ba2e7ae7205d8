package data

import (
	"bytes"
	"testing"
)

// FuzzRead: any input either fails with an error or yields a table whose
// columns all have one value per row; Prepare and Split never panic on it.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		"a,b,target\n1,2,x\n3,4,y\n",
		"a,target\n?,1\nNA,2\n,3\n",
		"x,c,target\n1,red,0\n2,blue,1\n1e400,red,0\n",
		"\"q\",target\n\"1,5\",a\n",
		"a\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tb, err := Read("fuzz.csv", bytes.NewReader(b), LoadOptions{})
		if err != nil {
			return
		}
		for _, c := range tb.Cols {
			n := len(c.Num)
			if c.Categorical {
				n = len(c.Codes)
				for _, code := range c.Codes {
					if int(code) >= len(c.Levels) {
						t.Fatalf("column %q: code %d of %d levels", c.Name, code, len(c.Levels))
					}
				}
			}
			if n != tb.Rows {
				t.Fatalf("column %q has %d values for %d rows", c.Name, n, tb.Rows)
			}
		}
		last := tb.Cols[len(tb.Cols)-1].Name
		ds, err := Prepare(tb, last, Auto, false)
		if err != nil {
			return
		}
		if s, err := Split(ds, SplitOptions{Validation: 0.2, Test: 0.2, Seed: 1}); err == nil {
			if _, err := Fit(ds, s.Folds[0].Train, PrepOptions{Standardize: true, Indicator: true}); err != nil {
				return
			}
		}
	})
}
