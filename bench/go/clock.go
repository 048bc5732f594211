package main

import (
	_ "unsafe" // for go:linkname
)

// nanotime is the runtime's monotonic clock in ns (CLOCK_MONOTONIC through the
// vDSO), the clock every latency histogram uses.
//
//go:linkname nanotime runtime.nanotime
func nanotime() int64
