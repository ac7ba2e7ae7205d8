package model

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// FormatVersion is the version of the model and holdout files this
// package writes and reads.
const FormatVersion = 1

// ErrFormat is a file that is not a model (or holdout) file of this
// version, or is torn or corrupt.
var ErrFormat = errors.New("bad model file")

const (
	modelMagic   = "automl-model\n"
	holdoutMagic = "automl-holdout\n"
	// maxFileBytes bounds what Read accepts (a 256-unit network of 1,000
	// inputs is 1.3 MB a fold).
	maxFileBytes = 1 << 30
)

// frame writes magic, version, the gob body and its SHA-256.
func frame(w io.Writer, magic string, v any) error {
	var body bytes.Buffer
	if err := gob.NewEncoder(&body).Encode(v); err != nil {
		return fmt.Errorf("encode: %w", err)
	}
	var buf bytes.Buffer
	buf.Grow(len(magic) + 4 + body.Len() + sha256.Size)
	buf.WriteString(magic)
	binary.Write(&buf, binary.LittleEndian, uint32(FormatVersion))
	buf.Write(body.Bytes())
	sum := sha256.Sum256(body.Bytes())
	buf.Write(sum[:])
	_, err := w.Write(buf.Bytes())
	return err
}

// unframe checks a file's framing and decodes its body into v; what names
// the kind of file in messages.
func unframe(r io.Reader, magic, what string, v any) error {
	b, err := io.ReadAll(io.LimitReader(r, maxFileBytes+1))
	if err != nil {
		return fmt.Errorf("read: %w", err)
	}
	if len(b) > maxFileBytes {
		return fmt.Errorf("%w: larger than %d bytes", ErrFormat, maxFileBytes)
	}
	if !bytes.HasPrefix(b, []byte(magic)) {
		return fmt.Errorf("%w: not an automl %s file", ErrFormat, what)
	}
	b = b[len(magic):]
	if len(b) < 4+sha256.Size {
		return fmt.Errorf("%w: truncated (%d bytes after the header)", ErrFormat, len(b))
	}
	if v := binary.LittleEndian.Uint32(b); v != FormatVersion {
		return fmt.Errorf("%w: format version %d; this program reads version %d", ErrFormat, v, FormatVersion)
	}
	body, sum := b[4:len(b)-sha256.Size], b[len(b)-sha256.Size:]
	if s := sha256.Sum256(body); !bytes.Equal(s[:], sum) {
		return fmt.Errorf("%w: corrupt or truncated (checksum mismatch)", ErrFormat)
	}
	dec := gob.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: decode: %v", ErrFormat, err)
	}
	return nil
}

// saveFile writes atomically: a temporary file in the same directory,
// synced, then renamed over path.
func saveFile(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("save %s: %w", path, err)
	}
	fail := func(err error) error {
		tmp.Close()
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := write(tmp); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("save %s: %w", path, err)
	}
	return nil
}

// Write writes the model file.
func (m *Model) Write(w io.Writer) error { return frame(w, modelMagic, &m.b) }

// Save writes the model file atomically (a temporary file renamed into
// place: a reader never sees a partial file).
func (m *Model) Save(path string) error { return saveFile(path, m.Write) }

// Read reads a model file and checks it can predict. Errors wrap ErrFormat
// for a file that is not a valid model file.
func Read(r io.Reader) (*Model, error) {
	var b body
	if err := unframe(r, modelMagic, "model", &b); err != nil {
		return nil, err
	}
	m, err := compile(b)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return m, nil
}

// Load reads the model file at path; errors name the file.
func Load(path string) (*Model, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("load model: %w", err)
	}
	defer f.Close()
	m, err := Read(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}
