package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/phantom-vlm/phantom/leak/report"
)

// writeStrength writes the audit table (when dataset is given and has been
// audited) and the dose-response tables and figures of the sweeps into out.
func writeStrength(stdout, stderr io.Writer, data *report.Data, out, dataset string) error {
	var audit *report.Audit
	if dataset != "" {
		a, err := report.ReadAudit(dataset)
		switch {
		case errors.Is(err, os.ErrNotExist):
			fmt.Fprintf(stderr, "phantom report: %v; the report has no audit table\n", err)
		case err != nil:
			return err
		default:
			audit = a
		}
	}
	files, err := data.WriteStrength(out, audit)
	for _, f := range files {
		fmt.Fprintln(stdout, f)
	}
	return err
}
