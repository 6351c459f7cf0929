package names

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"strings"
)

// ReadNames reads the names to count from path: a built dataset's
// metadata.jsonl (each row's name and aliases; a file whose first
// non-blank line starts with '{') or a text file with one name a line
// (blank lines skipped). Names are returned in file order, repeats
// included; NewSet drops them.
func ReadNames(path string) ([]string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("names: %w", err)
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var names []string
	jsonl := bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{"))
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, MaxLine)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		if !jsonl {
			names = append(names, line)
			continue
		}
		var row struct {
			Name    string   `json:"name"`
			Aliases []string `json:"aliases"`
		}
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			return nil, fmt.Errorf("names: %s:%d: %w", path, n, err)
		}
		if row.Name == "" {
			return nil, fmt.Errorf("names: %s:%d: no name", path, n)
		}
		names = append(names, row.Name)
		names = append(names, row.Aliases...)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("names: %s: %w", path, err)
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("names: %s: no names", path)
	}
	return names, nil
}
