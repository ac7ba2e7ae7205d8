package model

// levelIndex finds a categorical cell's level code: an open-addressed
// table on an FNV-1a hash of the cell, which for the short strings levels
// are takes a fraction of a Go map's lookup (the most frequent operation
// of parsing a file with categorical columns).
type levelIndex struct {
	mask  uint64
	slots []int32 // code+1; 0 is empty
	names []string
}

func newLevelIndex(levels []string) levelIndex {
	size := 8
	for size < 2*len(levels) {
		size *= 2
	}
	ix := levelIndex{mask: uint64(size - 1), slots: make([]int32, size), names: levels}
	for code, l := range levels {
		h := fnv(l) & ix.mask
		for ix.slots[h] != 0 {
			h = (h + 1) & ix.mask
		}
		ix.slots[h] = int32(code + 1)
	}
	return ix
}

// code is s's level code, or false when s is not a level.
func (ix *levelIndex) code(s string) (int32, bool) {
	for h := fnv(s) & ix.mask; ; h = (h + 1) & ix.mask {
		c := ix.slots[h]
		if c == 0 {
			return 0, false
		}
		if ix.names[c-1] == s {
			return c - 1, true
		}
	}
}

func fnv(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h ^ h>>29 // the low bits pick the slot: fold the high ones in
}
