//go:build !amd64 || purego

package background

// useAVX2 is false: this build has only the portable bilinear passes.
const useAVX2 = false

// blendRowsVec does nothing here and returns 0 (see blend_amd64.go).
func blendRowsVec(_, _, _ []uint8, _ uint64) int { return 0 }

// blendColumnsVec does nothing here and returns 0 (see blend_amd64.go).
func blendColumnsVec(_, _ []uint8, _ []int32, _ []uint32) int { return 0 }
