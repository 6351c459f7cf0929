package names_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"github.com/phantom-vlm/phantom/names"
)

// Counting names in captions held in memory: each caption counts once per
// name, under the whole-words rule.
func ExampleMatcher() {
	set, _ := names.NewSet([]string{"Lionel Messi", "Messi", "Will Smith", "Bono"})
	m, err := names.NewMatcher(set.Folded, names.Words)
	if err != nil {
		panic(err)
	}
	sc := m.NewScanner()
	for _, c := range []string{
		"LIONEL  MESSI's goal",        // case, white space and a possessive
		"Messi, Messi, Messi!",        // one caption, counted once
		"the Will Smithsonian museum", // inside a word: not Will Smith
		"xbono and (Bono)",            // only the second is Bono
	} {
		sc.Scan([]byte(c))
	}
	for i, n := range set.Names {
		fmt.Printf("%s: %d\n", n, sc.Counts()[i])
	}
	// Output:
	// Lionel Messi: 1
	// Messi: 2
	// Will Smith: 0
	// Bono: 1
}

// Counting a corpus file and writing the name,count file that
// phantom report --name-counts reads.
func ExampleCount() {
	dir, _ := os.MkdirTemp("", "names-example")
	defer os.RemoveAll(dir)
	corpus := filepath.Join(dir, "captions.txt")
	os.WriteFile(corpus, []byte("Beyonce Knowles on stage\nBEYONCÉ\n\nBeyoncé  Knowles, 2019\n"), 0o644)
	set, _ := names.NewSet([]string{"Beyoncé Knowles", "Beyoncé"})
	res, err := names.Count(context.Background(), []string{corpus}, set, names.Options{})
	if err != nil {
		panic(err)
	}
	fmt.Printf("%d captions, %d empty\n", res.Captions, res.Empty)
	res.WriteCSV(os.Stdout)
	// Output:
	// 4 captions, 1 empty
	// name,count
	// Beyoncé,3
	// Beyoncé Knowles,2
}
