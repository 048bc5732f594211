package main

import "math/bits"

// Hist is a log-linear latency histogram in the HDR style: values below 256
// are counted exactly; above, every power of two [2^k, 2^(k+1)) is split into
// 128 linear sub-buckets, so a bucket's midpoint is within 1/256 (< 1%) of any
// value in it. One Hist belongs to one goroutine; merge them after the run.
type Hist struct {
	counts [histBuckets]uint64
	n      uint64
	max    int64
}

const (
	histSubBits = 7
	histSub     = 1 << histSubBits // linear sub-buckets per power of two
	// The largest index is reached for shift = 63-histSubBits and a mantissa
	// of 2*histSub-1.
	histBuckets = (63-histSubBits)*histSub + 2*histSub
)

// histIndex maps v >= 0 to its bucket: index = shift*128 + (v >> shift), where
// shift makes v >> shift fall in [128, 256).
func histIndex(v int64) int {
	if v < 2*histSub {
		return int(v)
	}
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	return shift*histSub + int(v>>shift)
}

// histValue is the midpoint of bucket i (exact below 256).
func histValue(i int) int64 {
	if i < 2*histSub {
		return int64(i)
	}
	shift := i/histSub - 1
	mant := int64(i - shift*histSub)
	return mant<<shift + (int64(1)<<shift)/2
}

// Record adds one sample in ns; negative samples count as 0.
func (h *Hist) Record(v int64) {
	if v < 0 {
		v = 0
	}
	h.counts[histIndex(v)]++
	h.n++
	if v > h.max {
		h.max = v
	}
}

// Merge adds o's samples to h.
func (h *Hist) Merge(o *Hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	if o.max > h.max {
		h.max = o.max
	}
}

// Percentile returns the value at quantile q (0..1]: the midpoint of the
// bucket holding the ceil(q*n)-th smallest sample, never above the maximum.
// An empty histogram gives 0.
func (h *Hist) Percentile(q float64) int64 {
	if h.n == 0 {
		return 0
	}
	rank := uint64(q*float64(h.n) + 0.999999999)
	if rank < 1 {
		rank = 1
	}
	var seen uint64
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			if v := histValue(i); v < h.max {
				return v
			}
			return h.max
		}
	}
	return h.max
}

// newHists makes one histogram per goroutine.
func newHists(n int) []*Hist {
	hs := make([]*Hist, n)
	for i := range hs {
		hs[i] = new(Hist)
	}
	return hs
}
