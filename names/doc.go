// Package names counts how many captions of a pretraining corpus contain
// each of a set of names, in one pass for all names: the measure of how
// often a person is named in the corpus that the study's leak rates are
// plotted against (the seed paper's Figure 5b).
//
// Captions and names are folded by [textnorm.Normalize], the leak scorer's
// folding, and a caption counts for a name under a [Rule]: [Words] by
// default ([textnorm.ContainsWord]), or [Substring].
//
// [textnorm.Normalize]: https://pkg.go.dev/github.com/phantom-vlm/phantom/internal/textnorm#Normalize
// [textnorm.ContainsWord]: https://pkg.go.dev/github.com/phantom-vlm/phantom/internal/textnorm#ContainsWord
package names
