// Empty on purpose: an assembly file in the package lets clock.go declare
// runtime.nanotime without a body (go:linkname), so the histograms read the
// same monotonic clock the runtime uses, without time.Now's wall-clock read.
