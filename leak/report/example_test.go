package report_test

import (
	"fmt"

	"github.com/phantom-vlm/phantom/leak/report"
)

func ExampleWilson() {
	lo, hi := report.Wilson(1, 4, report.Z95)
	fmt.Printf("1 leak in 4 answers: 95%% interval [%.1f%%, %.1f%%]\n", 100*lo, 100*hi)
	// Output:
	// 1 leak in 4 answers: 95% interval [4.6%, 69.9%]
}

func ExampleSpearman() {
	counts := []float64{120, 5000, 800, 0}
	rates := []float64{16.7, 63.2, 26.3, 8.3}
	fmt.Printf("rho = %.2f\n", report.Spearman(counts, rates))
	// Output:
	// rho = 1.00
}

func ExampleNewcombe() {
	// 9 of 10 answers leaked on one condition, 3 of 10 on the original photos.
	d, lo, hi := report.Newcombe(9, 10, 3, 10, report.Z95)
	fmt.Printf("difference %+.1f points, 95%% interval [%+.1f, %+.1f]\n", 100*d, 100*lo, 100*hi)
	// Output:
	// difference +60.0 points, 95% interval [+17.1, +80.9]
}
