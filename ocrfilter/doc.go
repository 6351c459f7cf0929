// Package ocrfilter finds photos whose visible text shows the person's name,
// so that the study can remove them: a vision-language model that reads
// "LIONEL MESSI" off a caption bar has not recognised anybody.
//
// The package has three parts:
//
//   - A Reader runs Tesseract OCR on an image and returns the words read,
//     with their boxes and confidences. It keeps a pool of Tesseract engines,
//     so one Reader serves many goroutines. It reads each image in several
//     passes (DefaultPasses): the whole image in three ways, and then each
//     line of text that the internal textregion package proposes (chains of
//     character-like shapes at several grey levels, drawn black on white and
//     levelled), because scene text is often tilted, coloured, or lost in a
//     busy photo, where Tesseract's own layout analysis misses it.
//   - A Matcher tests every run of at least MinRun (default 5) consecutive
//     characters of the name, and of each alias, against the words read, and
//     returns the evidence for each hit.
//   - A Filter puts the two together: Decide says Keep or Drop for one photo
//     and one name, with the evidence.
//
// # Matching rules
//
// Both the name and the OCR text are normalised with the same rules as the
// leak scorer (Unicode NFKD, accents folded, case folded, white space
// collapsed), and then only letters and digits count: spaces and punctuation
// are ignored on both sides. So the name "Lionel Messi" yields the runs
// "lione", "ionel", "onelm", "nelme", …, "messi", and its run "l messi" is
// found in the two OCR words "LIONEL" "MESSI", in the one word "LIONELMESSI"
// and in the letter-spaced "M E S S I" alike; "O'Brien" matches "OBRIEN".
// Words are joined in reading order: two words are adjacent when they come
// one after the other on the same text line of the same OCR pass. Runs do
// not cross line breaks: on photos, Tesseract's lines are often unrelated
// scraps of texture, and joining them made chance runs (a name stacked over
// two lines still matches through each part of five letters or more). A
// word read with less than the minimum confidence is left out and breaks
// adjacency.
//
// A name (or alias) with fewer than MinRun letters and digits is matched
// whole, and only on word boundaries: "Bono" matches the word "BONO" or
// "BONO," but not "BONOBO", since short names inside longer words are mostly
// chance.
//
// # Cost and concurrency
//
// Tesseract's engine is not safe for concurrent use; the Reader keeps one
// engine per concurrent call (WithPoolSize, default GOMAXPROCS) and makes
// each engine use a single OpenMP thread (see internal/tess), which was
// measured about 7 times faster on two cores than Tesseract's default. A
// running recognition cannot be interrupted: Decide and Read check their
// context before each OCR pass and while waiting for a free engine.
package ocrfilter
