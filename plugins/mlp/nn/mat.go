package nn

// Mat is a row-major float32 matrix: element (i, j) is D[i*C+j].
type Mat struct {
	R, C int
	D    []float32
}

// NewMat returns a zero r x c matrix.
func NewMat(r, c int) *Mat { return &Mat{R: r, C: c, D: make([]float32, r*c)} }

// Row returns row i (shares storage).
func (m *Mat) Row(i int) []float32 { return m.D[i*m.C : (i+1)*m.C] }

// Rows returns rows [lo, hi) as a matrix sharing storage.
func (m *Mat) Rows(lo, hi int) *Mat { return &Mat{R: hi - lo, C: m.C, D: m.D[lo*m.C : hi*m.C]} }

// reshape makes *dst an r x c matrix, reusing its storage when large enough.
func reshape(dst **Mat, r, c int) *Mat {
	m := *dst
	if m == nil {
		m = &Mat{}
		*dst = m
	}
	if cap(m.D) < r*c {
		m.D = make([]float32, r*c)
	}
	m.R, m.C, m.D = r, c, m.D[:r*c]
	return m
}
