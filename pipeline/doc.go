// Package pipeline is phantom's dataset builder: it reads a labelled photo
// collection, filters photos that show the name as text, detects faces and
// people once per photo, renders the study's condition variants, and writes
// them with metadata that Hugging Face datasets can load.
package pipeline
