//go:build !unix

package pipeline

func cpuTime() float64 { return 0 }
