package data

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// MaxLevels bounds the distinct values of a categorical column: one-hot
// encoding a column of identifiers would make thousands of inputs.
const MaxLevels = 1000

// DefaultMissing are the cells read as missing values.
var DefaultMissing = []string{"", "?", "NA", "N/A", "NaN", "nan", "null"}

// Column is one column of a table: numbers (NaN where missing) or
// categories (codes into sorted Levels, -1 where missing).
type Column struct {
	Name        string
	Categorical bool
	Num         []float64
	Codes       []int32
	Levels      []string
	// Missing counts missing cells.
	Missing int
}

// Table is a loaded data set.
type Table struct {
	// Source names the data set in messages (a file name or a synthetic spec).
	Source string
	Cols   []*Column
	Rows   int
	// Lines holds the file line of each row (nil for synthetic data).
	Lines []int32
	// Digest identifies the content (SHA-256 of the file's bytes, or of
	// the synthetic spec), so a checkpoint can tell it trained on this data.
	Digest string
}

// Col returns the named column and its index, or nil and -1.
func (t *Table) Col(name string) (*Column, int) {
	for i, c := range t.Cols {
		if c.Name == name {
			return c, i
		}
	}
	return nil, -1
}

// Names lists the column names in file order.
func (t *Table) Names() []string {
	out := make([]string, len(t.Cols))
	for i, c := range t.Cols {
		out[i] = c.Name
	}
	return out
}

// Line is the file line of row i (0 when unknown).
func (t *Table) Line(i int) int {
	if t.Lines == nil {
		return 0
	}
	return int(t.Lines[i])
}

// LoadOptions adjust how a CSV file is read.
type LoadOptions struct {
	// Missing lists the cells that mean "missing" (default DefaultMissing).
	Missing []string
	// Categorical forces columns to be categorical even if they hold numbers.
	Categorical []string
	// Drop skips columns (identifiers, leaks).
	Drop []string
}

// Load reads a CSV file, or a gzip-compressed one (by content, whatever
// its name), with a header row.
func Load(path string, opts LoadOptions) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(ErrNoFile, path, 0, "", "no such file (paths are relative to the working directory)")
		}
		return nil, fmt.Errorf("open data set: %w", err)
	}
	defer f.Close()
	h := sha256.New()
	br := bufio.NewReaderSize(io.TeeReader(f, h), 1<<16)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, errorf(ErrBadValue, path, 0, "", "bad gzip data: %v", err)
		}
		defer gz.Close()
		r = gz
	}
	t, err := Read(path, r, opts)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, br); err != nil { // hash any trailing bytes
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	t.Digest = hex.EncodeToString(h.Sum(nil))
	return t, nil
}

// Read parses CSV text with a header row; name is used in messages.
func Read(name string, r io.Reader, opts LoadOptions) (*Table, error) {
	missing := opts.Missing
	if missing == nil {
		missing = DefaultMissing
	}
	isMissing := make(map[string]bool, len(missing))
	for _, m := range missing {
		isMissing[strings.TrimSpace(m)] = true
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err == io.EOF {
		return nil, errorf(ErrEmpty, name, 0, "", "empty file: no header row")
	}
	if err != nil {
		return nil, csvError(name, err)
	}
	names := make([]string, len(header))
	seen := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
		if h == "" {
			return nil, errorf(ErrBadValue, name, 1, "", "header column %d has no name", i+1)
		}
		if j, dup := seen[h]; dup {
			return nil, errorf(ErrBadValue, name, 1, "", "header names column %q twice (columns %d and %d)", h, j+1, i+1)
		}
		seen[h] = i
		names[i] = h
	}
	for _, list := range [][]string{opts.Categorical, opts.Drop} {
		for _, c := range list {
			if _, ok := seen[c]; !ok {
				return nil, errorf(ErrBadValue, name, 1, c, "no such column; the header has %s", strings.Join(names, ", "))
			}
		}
	}
	var cols []*builder
	for i, n := range names {
		if slices.Contains(opts.Drop, n) {
			cols = append(cols, nil)
			continue
		}
		cols = append(cols, &builder{name: n, index: i + 1, forceCat: slices.Contains(opts.Categorical, n), dict: map[string]int32{}})
	}
	t := &Table{Source: name}
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, csvError(name, err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(names) {
			return nil, errorf(ErrRagged, name, line, "", "row has %d fields, the header has %d", len(rec), len(names))
		}
		for i, b := range cols {
			if b == nil {
				continue
			}
			v := strings.TrimSpace(rec[i])
			if err := b.add(v, isMissing[v], line, name); err != nil {
				return nil, err
			}
		}
		t.Lines = append(t.Lines, int32(line))
		t.Rows++
	}
	if t.Rows == 0 {
		return nil, errorf(ErrEmpty, name, 0, "", "no data rows after the header")
	}
	for _, b := range cols {
		if b == nil {
			continue
		}
		c, err := b.finish(name)
		if err != nil {
			return nil, err
		}
		t.Cols = append(t.Cols, c)
	}
	return t, nil
}

func csvError(name string, err error) error {
	var pe *csv.ParseError
	if errors.As(err, &pe) {
		return errorf(ErrBadValue, name, pe.Line, "", "%v", pe.Err)
	}
	return fmt.Errorf("read %s: %w", name, err)
}

// maxDict bounds the dictionary kept for a column that has held only
// numbers so far (in case it turns out to be categorical).
const maxDict = 10000

// builder accumulates one column while the file is read: the numbers, and
// a dictionary of the cells as long as the column may still be categorical.
type builder struct {
	name     string
	index    int
	forceCat bool
	num      []float64
	codes    []int32
	dict     map[string]int32
	levels   []string
	nNum     int
	nStr     int
	firstBad string
	badLine  int
	missing  int
}

func (b *builder) add(v string, missing bool, line int, file string) error {
	if missing {
		b.num = append(b.num, math.NaN())
		b.missing++
		if b.dict != nil {
			b.codes = append(b.codes, -1)
		}
		return nil
	}
	x := math.NaN()
	if !b.forceCat {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			if math.IsInf(f, 0) {
				return &Error{Kind: ErrBadValue, File: file, Line: line, Column: b.name, ColIndex: b.index, Msg: fmt.Sprintf("%q is infinite; a feature must be a finite number", v)}
			}
			x = f
			b.nNum++
		} else {
			if b.nStr == 0 {
				b.firstBad, b.badLine = v, line
			}
			b.nStr++
			if b.dict == nil {
				return b.notNumber(file)
			}
		}
	}
	b.num = append(b.num, x)
	if b.dict != nil {
		code, ok := b.dict[v]
		if !ok {
			code = int32(len(b.levels))
			v = strings.Clone(v) // do not pin the whole record's string
			b.dict[v] = code
			b.levels = append(b.levels, v)
		}
		b.codes = append(b.codes, code)
		if len(b.levels) > maxDict && b.nStr == 0 && !b.forceCat {
			b.dict, b.codes, b.levels = nil, nil, nil
		}
	}
	return nil
}

func (b *builder) notNumber(file string) error {
	return &Error{Kind: ErrNotNumber, File: file, Line: b.badLine, Column: b.name, ColIndex: b.index,
		Msg: fmt.Sprintf("%q is not a number, and the column is numeric (%d of its values are numbers); list the column under categorical: to treat it as categories, or the value under missing_values: if it marks a missing value", b.firstBad, b.nNum)}
}

func (b *builder) finish(file string) (*Column, error) {
	c := &Column{Name: b.name, Missing: b.missing}
	switch {
	case b.forceCat || (b.nStr > b.nNum && b.dict != nil):
		c.Categorical = true
	case b.nStr > 0:
		return nil, b.notNumber(file)
	default:
		c.Num = b.num
		return c, nil
	}
	if len(b.levels) > MaxLevels {
		return nil, &Error{Kind: ErrBadValue, File: file, Column: b.name, ColIndex: b.index,
			Msg: fmt.Sprintf("categorical column with %d distinct values (at most %d); drop it with drop: [%s] if it is an identifier", len(b.levels), MaxLevels, b.name)}
	}
	// Sort the levels so codes do not depend on row order.
	order := make([]int32, len(b.levels))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(x, y int32) int { return strings.Compare(b.levels[x], b.levels[y]) })
	remap := make([]int32, len(order))
	c.Levels = make([]string, len(order))
	for newCode, old := range order {
		remap[old] = int32(newCode)
		c.Levels[newCode] = b.levels[old]
	}
	c.Codes = b.codes
	for i, code := range c.Codes {
		if code >= 0 {
			c.Codes[i] = remap[code]
		}
	}
	return c, nil
}

// ReadHeader returns a CSV file's column names without reading its rows,
// for quick checks of a configuration.
func ReadHeader(path string) ([]string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, errorf(ErrNoFile, path, 0, "", "no such file (paths are relative to the working directory)")
		}
		return nil, fmt.Errorf("open data set: %w", err)
	}
	defer f.Close()
	br := bufio.NewReader(f)
	var r io.Reader = br
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return nil, errorf(ErrBadValue, path, 0, "", "bad gzip data: %v", err)
		}
		defer gz.Close()
		r = gz
	}
	header, err := csv.NewReader(r).Read()
	if err == io.EOF {
		return nil, errorf(ErrEmpty, path, 0, "", "empty file: no header row")
	}
	if err != nil {
		return nil, csvError(path, err)
	}
	for i, h := range header {
		header[i] = strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))
	}
	return header, nil
}
