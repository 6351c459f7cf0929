// Package condnames is the one source of the study's six condition names
// (PROTOCOL.md §2), shared by pipeline, which builds them, and by leak and
// leak/report, which ask about them and tabulate them without depending on
// the builder.
package condnames

// The six conditions, in the study's order.
const (
	Original      = "original"
	Blur          = "blur"
	Landscape     = "landscape"
	White         = "white"
	LandscapeBlur = "landscape+blur"
	WhiteBlur     = "white+blur"
)

// Study returns the six names in the study's order.
func Study() []string {
	return []string{Original, Blur, Landscape, White, LandscapeBlur, WhiteBlur}
}
