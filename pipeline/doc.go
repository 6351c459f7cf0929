// Package pipeline is phantom's dataset builder: it reads a labelled photo
// collection, filters photos that show the name as text, detects faces and
// people once per photo, renders the study's condition variants, and writes
// them with metadata that Hugging Face datasets can load.
//
// # Sources
//
// FolderRecords reads a folder with one sub-folder per person;
// ManifestRecords reads a CSV (path,name[,aliases] with aliases separated by
// "|") or JSONL manifest whose paths are confined to a root folder. Every
// photo gets a stable ID (PhotoID) from its bytes and its path.
//
// # Output
//
// A Builder writes, under OUT:
//
//	<condition>/<id>.jpg    one file per condition (original, blur, landscape,
//	                        white, landscape+blur, white+blur)
//	scenes/<id>.json        what detection found (detect.Scene's JSON form)
//	metadata.jsonl          one Row per variant; file_name is relative to OUT,
//	                        so load_dataset("imagefolder", data_dir=OUT) works
//	filtered.jsonl          photos the OCR filter dropped, with its evidence
//	failed.jsonl            inputs that could not be built, and why
//	summary.json            counts per stage and condition, time per stage
//	contact-sheet.png       a few photos × the conditions, to look at (older
//	                        datasets releases refuse an image with no row:
//	                        WithContactSheet(0) leaves it out)
//	journal.jsonl, build.json, .lock   the builder's own bookkeeping
//
// # Resuming
//
// A photo is complete when its line is in journal.jsonl. The line (with the
// photo's metadata rows) is appended in one write after every file of the
// photo has been renamed into place, and the metadata, filtered and failed
// files are derived from the journal at the end of each run. A run killed
// at any point therefore loses at most the photos in flight: the next run
// cuts a partial last journal line, removes the temporary files and the
// files of photos not in the journal, and builds those photos again; no row
// is ever written twice. build.json holds the Settings (conditions, format,
// seed, grid, detectors and their files, OCR, backgrounds) that a resumed run
// must share.
//
// Shard splits a collection deterministically by ID so that several machines
// can build it; Merge joins their outputs.
package pipeline
