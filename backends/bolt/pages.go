package bolt

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"io"
	"os"
)

// bbolt's file format, read here from the file's bytes with every offset
// checked, never through bbolt's memory map: bbolt trusts its pages, and
// a damaged one makes it fault (which ends the process in a goroutine of
// bbolt's own, Tx.Check's), allocate without bound, or loop for ever. The
// layout (go.etcd.io/bbolt internal/common, in the machine's byte order):
// a page is a 16-byte header (id u64, flags u16, count u16, overflow u32)
// and its body; the meta (on pages 0 and 1) is magic, version, page size,
// flags (u32 each), the root bucket (root page u64, sequence u64), the
// freelist page, the high-water mark, the transaction id and a checksum
// (u64 each); a branch element is pos, ksize (u32) and a page id (u64); a
// leaf element is flags, pos, ksize, vsize (u32); a bucket's value is its
// root page and sequence, followed, when the root is 0, by an inline page.
const (
	boltMagic      = 0xED0CDAED
	boltVersion    = 2
	boltPageHeader = 16
	boltMetaSize   = 64
	boltElement    = 16
	noFreelist     = ^uint64(0)

	flagBranch   = 0x01
	flagLeaf     = 0x02
	flagFreelist = 0x10
	leafBucket   = 0x01
)

var ne = binary.NativeEndian

// meta is what the raw checks use of a meta page.
type meta struct {
	pageSize               int64
	root, freelist, pageID uint64 // pageID: the high-water mark
	txid                   uint64
}

// parseMeta reads a meta page whose magic, version and checksum hold.
func parseMeta(page []byte) (meta, bool) {
	if len(page) < boltPageHeader+boltMetaSize {
		return meta{}, false
	}
	m := page[boltPageHeader:]
	if ne.Uint32(m[0:]) != boltMagic || ne.Uint32(m[4:]) != boltVersion {
		return meta{}, false
	}
	h := fnv.New64a()
	h.Write(m[:56])
	if h.Sum64() != ne.Uint64(m[56:]) {
		return meta{}, false
	}
	return meta{pageSize: int64(ne.Uint32(m[8:])), root: ne.Uint64(m[16:]), freelist: ne.Uint64(m[32:]),
		pageID: ne.Uint64(m[40:]), txid: ne.Uint64(m[48:])}, true
}

// readMeta returns the meta bbolt will use: of the two valid ones, the
// later (a damaged page 0 leaves page 1, wherever the page size puts it).
func readMeta(f io.ReaderAt, size int64) (meta, bool) {
	head := make([]byte, boltPageHeader+boltMetaSize)
	var m0 meta
	ok0 := false
	if _, err := f.ReadAt(head, 0); err == nil {
		m0, ok0 = parseMeta(head)
	}
	sizes := []int64{4096, int64(os.Getpagesize()), 8192, 16384, 65536}
	if ok0 {
		sizes = []int64{m0.pageSize}
	}
	for _, ps := range sizes {
		if _, err := f.ReadAt(head, ps); err != nil {
			continue
		}
		if m1, ok1 := parseMeta(head); ok1 && (!ok0 || m1.txid > m0.txid) {
			return m1, true
		}
	}
	return m0, ok0
}

// preflight looks at the file before bbolt opens it, so that a file that
// is no bbolt database is refused without bbolt touching it (bbolt
// initialises an empty file in place: automl search would start over in
// it) and one whose meta or freelist page is damaged does not crash it
// (bbolt reads the freelist on opening).
func preflight(abs string) error {
	f, err := os.Open(abs)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	switch {
	case fi.IsDir():
		return fmt.Errorf("%w: it is a directory", ErrNotStore)
	case fi.Size() == 0:
		return fmt.Errorf("%w: it is empty (0 bytes)", ErrNotStore)
	}
	m, ok := readMeta(f, fi.Size())
	if !ok {
		return fmt.Errorf("%w: no bbolt header in its first bytes (%d bytes in all)", ErrNotStore, fi.Size())
	}
	if m.freelist == noFreelist {
		// automl always stores the freelist; bbolt would write one into
		// this file on opening it for writing.
		return fmt.Errorf("%w: a bbolt file without a stored freelist (another program's)", ErrNotStore)
	}
	w := pageWalk{f: f, m: m}
	if m.pageSize < 512 || m.pageSize > 1<<20 || m.pageSize&(m.pageSize-1) != 0 {
		return fmt.Errorf("%w: meta page: page size %d", ErrCorrupt, m.pageSize)
	}
	if need := int64(m.pageID) * m.pageSize; m.pageID > 1<<40 || fi.Size() < need {
		return fmt.Errorf("%w: the file is %d bytes, shorter than the %d its pages take (truncated)", ErrCorrupt, fi.Size(), need)
	}
	return w.freelistPage()
}

// pageWalk checks a file's page tree from its bytes: every page reachable
// from the root bucket lies below the high-water mark with its overflow,
// says its own id, has the type its parent expects, holds its elements
// inside itself, and is reachable once. It reads each page once.
type pageWalk struct {
	f    io.ReaderAt
	data []byte // the file mapped (read-only) when it could be: no copies
	m    meta
	seen map[uint64]bool
}

func (w *pageWalk) errorf(id uint64, format string, args ...any) error {
	return fmt.Errorf("%w: page %d: %s", ErrCorrupt, id, fmt.Sprintf(format, args...))
}

// page reads page id with its overflow.
func (w *pageWalk) page(id uint64) ([]byte, error) {
	if id < 2 || id >= w.m.pageID {
		return nil, w.errorf(id, "out of bounds (the file has %d pages)", w.m.pageID)
	}
	off := int64(id) * w.m.pageSize
	head := make([]byte, boltPageHeader)
	if w.data != nil {
		head = w.data[off : off+boltPageHeader]
	} else if _, err := w.f.ReadAt(head, off); err != nil {
		return nil, w.errorf(id, "unreadable: %v", err)
	}
	if got := ne.Uint64(head); got != id {
		return nil, w.errorf(id, "says it is page %d", got)
	}
	overflow := uint64(ne.Uint32(head[12:]))
	if id+overflow >= w.m.pageID {
		return nil, w.errorf(id, "overflow of %d pages runs past the file's %d", overflow, w.m.pageID)
	}
	n := int64(overflow+1) * w.m.pageSize
	if w.data != nil {
		return w.data[off : off+n], nil
	}
	p := make([]byte, n)
	if _, err := w.f.ReadAt(p, off); err != nil {
		return nil, w.errorf(id, "unreadable: %v", err)
	}
	return p, nil
}

// freelistPage checks the freelist page: its type, that its entries fit
// it, each names a page below the high-water mark, and none twice.
func (w *pageWalk) freelistPage() error {
	_, err := w.freePages()
	return err
}

// freePages returns the pages the freelist names, checked.
func (w *pageWalk) freePages() ([]uint64, error) {
	id := w.m.freelist
	p, err := w.page(id)
	if err != nil {
		return nil, err
	}
	if flags := ne.Uint16(p[8:]); flags != flagFreelist {
		return nil, w.errorf(id, "the freelist page has flags 0x%02x", flags)
	}
	start, n := uint64(boltPageHeader), uint64(ne.Uint16(p[10:]))
	if n == 0xFFFF {
		n, start = ne.Uint64(p[boltPageHeader:]), boltPageHeader+8
	}
	if n > uint64(len(p)) || start+8*n > uint64(len(p)) {
		return nil, w.errorf(id, "the freelist's %d entries do not fit its page", n)
	}
	ids := make([]uint64, n)
	twice := make(map[uint64]bool, n)
	for i := range n {
		free := ne.Uint64(p[start+8*i:])
		if free < 2 || free >= w.m.pageID {
			return nil, w.errorf(id, "the freelist names page %d, out of bounds", free)
		}
		if twice[free] {
			return nil, w.errorf(id, "the freelist names page %d twice", free)
		}
		twice[free] = true
		ids[i] = free
	}
	return ids, nil
}

// walkPages checks the page tree of the bbolt file at path (see
// pageWalk). It needs the file to stay as it is meanwhile: no commit.
func walkPages(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	m, ok := readMeta(f, fi.Size())
	if !ok {
		return fmt.Errorf("%w: no valid meta page", ErrCorrupt)
	}
	if m.pageSize <= 0 || m.pageID > uint64(fi.Size()/m.pageSize) {
		return fmt.Errorf("%w: the file is %d bytes, shorter than its %d pages", ErrCorrupt, fi.Size(), m.pageID)
	}
	w := pageWalk{f: f, m: m, seen: make(map[uint64]bool, m.pageID)}
	// Map what the pages take, no more, so no read can fault (as long as
	// nobody truncates the file meanwhile; protect covers that).
	if data, err := mapFile(f, int(int64(m.pageID)*m.pageSize)); err == nil {
		defer unmapFile(data)
		w.data = data
	}
	if err := w.tree(m.root, 0, nil, nil); err != nil {
		return err
	}
	// A page both free and in use would be handed out by the next commit
	// and written over.
	free, err := w.freePages()
	if err != nil {
		return err
	}
	for _, id := range free {
		if w.seen[id] {
			return w.errorf(id, "in use and in the freelist")
		}
	}
	return nil
}

// maxDepth bounds a tree's height (bbolt's are a few levels).
const maxDepth = 64

// tree walks the subtree at page id, whose keys must lie in [lo, hi) (nil:
// unbounded), as bbolt's Tx.Check wants them.
func (w *pageWalk) tree(id uint64, depth int, lo, hi []byte) error {
	if depth > maxDepth {
		return w.errorf(id, "deeper than %d levels (a cycle?)", maxDepth)
	}
	p, err := w.page(id)
	if err != nil {
		return err
	}
	for i := id; i <= id+uint64(ne.Uint32(p[12:])); i++ {
		if w.seen[i] {
			return w.errorf(i, "reached twice")
		}
		w.seen[i] = true
	}
	switch flags := ne.Uint16(p[8:]); flags {
	case flagBranch:
		return w.branch(id, p, depth, lo, hi)
	case flagLeaf:
		return w.leaf(id, p, depth, lo, hi)
	default:
		return w.errorf(id, "flags 0x%02x where a branch or leaf page belongs", flags)
	}
}

func (w *pageWalk) branch(id uint64, p []byte, depth int, lo, hi []byte) error {
	n := int(ne.Uint16(p[10:]))
	if n == 0 || boltPageHeader+n*boltElement > len(p) {
		return w.errorf(id, "a branch of %d elements", n)
	}
	keys := make([][]byte, n)
	for i := range n {
		at := boltPageHeader + i*boltElement
		pos, ksize := uint64(ne.Uint32(p[at:])), uint64(ne.Uint32(p[at+4:]))
		if uint64(at)+pos+ksize > uint64(len(p)) {
			return w.errorf(id, "branch element %d lies outside its page", i)
		}
		keys[i] = p[uint64(at)+pos : uint64(at)+pos+ksize]
		if err := w.inOrder(id, i, keys, lo, hi); err != nil {
			return err
		}
	}
	for i := range n {
		next := hi
		if i+1 < n {
			next = keys[i+1]
		}
		at := boltPageHeader + i*boltElement
		if err := w.tree(ne.Uint64(p[at+8:]), depth+1, keys[i], next); err != nil {
			return err
		}
	}
	return nil
}

// inOrder checks keys[i] of page id: above the key before it (or at
// least lo) and below hi.
func (w *pageWalk) inOrder(id uint64, i int, keys [][]byte, lo, hi []byte) error {
	k := keys[i]
	switch {
	case i == 0 && lo != nil && bytes.Compare(k, lo) < 0:
		return w.errorf(id, "its first key sorts before its parent's")
	case i > 0 && bytes.Compare(keys[i-1], k) >= 0:
		return w.errorf(id, "keys out of order at element %d", i)
	case hi != nil && bytes.Compare(k, hi) >= 0:
		return w.errorf(id, "key %d sorts after the next key of its parent", i)
	}
	return nil
}

// leaf checks a leaf page (p, or an inline page in a bucket's value) and
// walks the buckets in it.
func (w *pageWalk) leaf(id uint64, p []byte, depth int, lo, hi []byte) error {
	n := int(ne.Uint16(p[10:]))
	if boltPageHeader+n*boltElement > len(p) {
		return w.errorf(id, "a leaf of %d elements does not fit", n)
	}
	keys := make([][]byte, n)
	for i := range n {
		at := boltPageHeader + i*boltElement
		flags, pos := ne.Uint32(p[at:]), uint64(ne.Uint32(p[at+4:]))
		ksize, vsize := uint64(ne.Uint32(p[at+8:])), uint64(ne.Uint32(p[at+12:]))
		end := uint64(at) + pos + ksize + vsize
		if end > uint64(len(p)) {
			return w.errorf(id, "leaf element %d lies outside its page", i)
		}
		keys[i] = p[uint64(at)+pos : uint64(at)+pos+ksize]
		if err := w.inOrder(id, i, keys, lo, hi); err != nil {
			return err
		}
		if flags&leafBucket == 0 {
			continue
		}
		v := p[uint64(at)+pos+ksize : end]
		if len(v) < 16 {
			return w.errorf(id, "leaf element %d: a bucket value of %d bytes", i, len(v))
		}
		if root := ne.Uint64(v); root != 0 {
			if err := w.tree(root, depth+1, nil, nil); err != nil {
				return err
			}
			continue
		}
		inline := v[16:]
		if len(inline) < boltPageHeader {
			return w.errorf(id, "leaf element %d: an inline bucket of %d bytes", i, len(inline))
		}
		if flags := ne.Uint16(inline[8:]); flags != flagLeaf && ne.Uint16(inline[10:]) > 0 {
			return w.errorf(id, "leaf element %d: an inline bucket with flags 0x%02x", i, flags)
		}
		if depth > maxDepth {
			return w.errorf(id, "buckets nested deeper than %d levels", maxDepth)
		}
		if err := w.leaf(id, inline, depth+1, nil, nil); err != nil {
			return err
		}
	}
	return nil
}
