package pipeline

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"golang.org/x/text/unicode/norm"
)

func TestParseManifest(t *testing.T) {
	tests := []struct {
		name    string
		format  ManifestFormat
		in      string
		want    []ManifestRow // Err compared by being nil or not
		wantErr bool
	}{
		{
			name:   "csv with aliases",
			format: CSV,
			in:     "path,name,aliases\na.jpg,Bernie Sanders,Bernard Sanders| Bernie \nb.png,Nancy Pelosi,\n",
			want: []ManifestRow{
				{Line: 2, Path: "a.jpg", Name: "Bernie Sanders", Aliases: []string{"Bernard Sanders", "Bernie"}},
				{Line: 3, Path: "b.png", Name: "Nancy Pelosi"},
			},
		},
		{
			name:   "csv columns in any order, BOM, extra columns",
			format: CSV,
			in:     "\ufeffName,state,PATH\nTed Cruz,TX,c/cruz.jpg\n",
			want:   []ManifestRow{{Line: 2, Path: "c/cruz.jpg", Name: "Ted Cruz"}},
		},
		{
			name:   "csv quoted comma in name",
			format: CSV,
			in:     "path,name\n\"x, y.jpg\",\"King, Jr., Martin\"\n",
			want:   []ManifestRow{{Line: 2, Path: "x, y.jpg", Name: "King, Jr., Martin"}},
		},
		{
			name:   "csv bad rows stay rows",
			format: CSV,
			in:     "path,name\n,No Path\nnoname.jpg,\nshort.jpg\n",
			want: []ManifestRow{
				{Line: 2, Name: "No Path", Err: ErrBadRow},
				{Line: 3, Path: "noname.jpg", Err: ErrBadRow},
				{Line: 4, Path: "short.jpg", Err: ErrBadRow},
			},
		},
		{
			name:   "names and aliases read as NFC",
			format: CSV,
			in:     "path,name,aliases\na.jpg,Beyonce\u0301 Knowles,Beyonce\u0301\n",
			want:   []ManifestRow{{Line: 2, Path: "a.jpg", Name: "Beyonc\u00e9 Knowles", Aliases: []string{"Beyonc\u00e9"}}},
		},
		{
			name:   "jsonl names read as NFC",
			format: JSONL,
			in:     "{\"path\":\"a.jpg\",\"name\":\"Zoe\u0308\",\"aliases\":[\"Zoe\u0308 S\"]}\n",
			want:   []ManifestRow{{Line: 1, Path: "a.jpg", Name: "Zo\u00eb", Aliases: []string{"Zo\u00eb S"}}},
		},
		{name: "csv without name column", format: CSV, in: "path,person\na.jpg,X\n", wantErr: true},
		{name: "csv empty", format: CSV, in: "", wantErr: true},
		{
			name:   "jsonl",
			format: JSONL,
			in:     "{\"path\":\"a.jpg\",\"name\":\"Beyoncé\",\"aliases\":[\"Queen B\",\" \"]}\n\n{\"path\":\"b.jpg\",\"name\":\"X\",\"extra\":1}",
			want: []ManifestRow{
				{Line: 1, Path: "a.jpg", Name: "Beyoncé", Aliases: []string{"Queen B"}},
				{Line: 3, Path: "b.jpg", Name: "X"},
			},
		},
		{
			name:   "jsonl bad line does not stop the rest",
			format: JSONL,
			in:     "{\"path\":\"a.jpg\"\n{\"path\":\"b.jpg\",\"name\":\"B\"}\n",
			want: []ManifestRow{
				{Line: 1, Err: ErrBadRow},
				{Line: 2, Path: "b.jpg", Name: "B"},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseManifest(strings.NewReader(tc.in), tc.format)
			if (err != nil) != tc.wantErr {
				t.Fatalf("err = %v, want error %v", err, tc.wantErr)
			}
			if tc.wantErr {
				return
			}
			if len(got) != len(tc.want) {
				t.Fatalf("got %d rows %+v, want %d", len(got), got, len(tc.want))
			}
			for i := range got {
				g, w := got[i], tc.want[i]
				if (g.Err != nil) != (w.Err != nil) || (w.Err != nil && !errors.Is(g.Err, w.Err)) {
					t.Errorf("row %d: err %v, want %v", i, g.Err, w.Err)
				}
				g.Err, w.Err = nil, nil
				if !reflect.DeepEqual(g, w) {
					t.Errorf("row %d: got %+v, want %+v", i, g, w)
				}
			}
		})
	}
}

// FuzzManifest feeds ParseManifest arbitrary CSV and JSONL. It ran 6
// minutes with go test -fuzz=FuzzManifest; testdata/fuzz/FuzzManifest keeps
// a tenth of the corpus it grew (65 of 649 inputs), which every go test runs.
func FuzzManifest(f *testing.F) {
	f.Add("path,name,aliases\na.jpg,A B,C|D\n", false)
	f.Add("path,name,aliases\na.jpg,Beyonce\u0301,Zoe\u0308\na.jpg,Beyonc\u00e9,\n", false)
	f.Add("{\"path\":\"a.jpg\",\"name\":\"Beyonce\u0301\"}\n{\"path\":\"a.jpg\",\"name\":\"Other\"}\n", true)
	f.Add("path,name\n\"unterminated,x\n", false)
	f.Add("name,path\n,,,,\n\n", false)
	f.Add("{\"path\":\"a\",\"name\":\"b\",\"aliases\":[\"c\"]}\n", true)
	f.Add("{\"path\":1}\n{}\n[\n", true)
	f.Add("\x00\xff\n{\"path\":\"a\\u0000b\",\"name\":\"x\"}", true)
	f.Fuzz(func(t *testing.T, in string, jsonl bool) {
		format := CSV
		if jsonl {
			format = JSONL
		}
		rows, err := ParseManifest(strings.NewReader(in), format)
		if err != nil {
			return
		}
		for _, r := range rows {
			if r.Err != nil {
				if !errors.Is(r.Err, ErrBadRow) {
					t.Fatalf("row error %v does not wrap ErrBadRow", r.Err)
				}
				continue
			}
			if r.Path == "" || r.Name == "" || strings.ContainsRune(r.Path, 0) {
				t.Fatalf("accepted row without path or name: %+v", r)
			}
			if !norm.NFC.IsNormalString(r.Name) {
				t.Fatalf("name %q is not NFC", r.Name)
			}
			if r.Line < 1 {
				t.Fatalf("line %d", r.Line)
			}
			for _, a := range r.Aliases {
				if strings.TrimSpace(a) != a || a == "" || !norm.NFC.IsNormalString(a) {
					t.Fatalf("alias %q not trimmed or not NFC", a)
				}
			}
			// A resolved row never escapes its root.
			root := t.TempDir()
			if p, _, err := ResolvePath(root, r.Path); err == nil {
				if _, ok := within(root, p); !ok {
					t.Fatalf("%q resolved to %q outside %q", r.Path, p, root)
				}
			}
		}
	})
}

func TestResolvePath(t *testing.T) {
	base := t.TempDir()
	root := filepath.Join(base, "root")
	outside := filepath.Join(base, "outside")
	for _, d := range []string{filepath.Join(root, "sub"), outside} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	write := func(p string) {
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(root, "sub", "a.jpg"))
	write(filepath.Join(outside, "secret.jpg"))
	must(t, os.Symlink(filepath.Join(outside, "secret.jpg"), filepath.Join(root, "link-out.jpg")))
	must(t, os.Symlink(filepath.Join(root, "sub", "a.jpg"), filepath.Join(root, "link-in.jpg")))
	must(t, os.Symlink(outside, filepath.Join(root, "dir-out")))

	tests := []struct {
		path    string
		rel     string
		wantErr error
	}{
		{path: "sub/a.jpg", rel: "sub/a.jpg"},
		{path: "./sub/../sub/a.jpg", rel: "sub/a.jpg"},
		{path: filepath.Join(root, "sub", "a.jpg"), rel: "sub/a.jpg"},
		{path: "link-in.jpg", rel: "link-in.jpg"},
		{path: "../outside/secret.jpg", wantErr: ErrEscapesRoot},
		{path: "sub/../../outside/secret.jpg", wantErr: ErrEscapesRoot},
		{path: filepath.Join(outside, "secret.jpg"), wantErr: ErrEscapesRoot},
		{path: "link-out.jpg", wantErr: ErrEscapesRoot},
		{path: "dir-out/secret.jpg", wantErr: ErrEscapesRoot},
		{path: "..", wantErr: ErrEscapesRoot},
		{path: "sub/missing.jpg", wantErr: fs.ErrNotExist},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			p, rel, err := ResolvePath(root, tc.path)
			if tc.wantErr != nil {
				if !errors.Is(err, tc.wantErr) {
					t.Fatalf("ResolvePath(%q) = %q, %v; want error %v", tc.path, p, err, tc.wantErr)
				}
				if !strings.Contains(err.Error(), tc.path) {
					t.Errorf("error %q does not name the path", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rel != tc.rel {
				t.Errorf("rel = %q, want %q", rel, tc.rel)
			}
			if _, err := os.Stat(p); err != nil {
				t.Errorf("resolved path: %v", err)
			}
		})
	}
}

func TestManifestRecords(t *testing.T) {
	dir := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(dir, "imgs"), 0o755))
	must(t, os.WriteFile(filepath.Join(dir, "imgs", "a.jpg"), []byte("x"), 0o644))
	man := filepath.Join(dir, "m.csv")
	must(t, os.WriteFile(man, []byte("path,name,aliases\nimgs/a.jpg,A Person,Alias One|Alias Two\n../etc/passwd,Evil,\n,Nobody,\n"), 0o644))
	recs, err := ManifestRecords(man, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 3 {
		t.Fatalf("got %d records", len(recs))
	}
	if recs[0].Err != nil || recs[0].Source != "imgs/a.jpg" || !reflect.DeepEqual(recs[0].Aliases, []string{"Alias One", "Alias Two"}) {
		t.Errorf("record 0 = %+v", recs[0])
	}
	if !errors.Is(recs[1].Err, ErrEscapesRoot) || !strings.Contains(recs[1].Err.Error(), "line 3") {
		t.Errorf("record 1 err = %v, want an escape naming line 3", recs[1].Err)
	}
	if !errors.Is(recs[2].Err, ErrBadRow) {
		t.Errorf("record 2 err = %v, want a bad row", recs[2].Err)
	}
}

func TestFolderRecords(t *testing.T) {
	dir, elsewhere := t.TempDir(), t.TempDir()
	for _, p := range []string{"Eileen_Collins/001.png", "Eileen_Collins/more/002.JPG", "Joe Biden/a.jpg", "Joe Biden/notes.txt",
		"Joe Biden/.hidden.jpg", "top.jpg", "Joe Biden/phone.heic", "Joe Biden/scan.TIFF", "Beyonce\u0301/b.png"} {
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, p)), 0o755))
		must(t, os.WriteFile(filepath.Join(dir, p), []byte("x"), 0o644))
	}
	must(t, os.WriteFile(filepath.Join(elsewhere, "c.jpg"), []byte("x"), 0o644))
	must(t, os.Symlink(elsewhere, filepath.Join(dir, "Linked Person")))                  // followed
	must(t, os.Symlink(dir, filepath.Join(dir, "Collection Root")))                      // relabels everything: refused
	must(t, os.Symlink(filepath.Join(dir, "Joe Biden"), filepath.Join(dir, "Also Joe"))) // relabels Joe's: refused
	recs, err := FolderRecords(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range recs {
		g := r.Name + "=" + r.Source
		if r.Err != nil {
			g += " (" + r.Err.Error() + ")"
		}
		got = append(got, g)
	}
	want := []struct{ rec, errPart string }{
		{"Also Joe=Also Joe", "is a symbolic link to"},
		{"Beyonc\u00e9=Beyonce\u0301/b.png", ""}, // the NFD folder name read as NFC
		{"Collection Root=Collection Root", "every photo there would be labelled \"Collection Root\""},
		{"Eileen Collins=Eileen_Collins/001.png", ""},
		{"Eileen Collins=Eileen_Collins/more/002.JPG", ""},
		{"Joe Biden=Joe Biden/a.jpg", ""},
		{"Joe Biden=Joe Biden/phone.heic", "unsupported image format"},
		{"Joe Biden=Joe Biden/scan.TIFF", "unsupported image format"},
		{"Linked Person=Linked Person/c.jpg", ""},
		{"=top.jpg", "is not in a person folder, so its name is unknown"},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d records, want %d:\n%s", len(got), len(want), strings.Join(got, "\n"))
	}
	for i, w := range want {
		if !strings.HasPrefix(got[i], w.rec) || (w.errPart == "") != (recs[i].Err == nil) || !strings.Contains(got[i], w.errPart) {
			t.Errorf("record %d = %q, want %q with error %q", i, got[i], w.rec, w.errPart)
		}
	}
	if !errors.Is(recs[6].Err, ErrUnsupportedFormat) {
		t.Errorf("heic record: %v, want ErrUnsupportedFormat", recs[6].Err)
	}
}

func TestFolderRecordsLayoutErrors(t *testing.T) {
	flat := t.TempDir()
	for _, f := range []string{"a.jpg", "b.png"} {
		must(t, os.WriteFile(filepath.Join(flat, f), []byte("x"), 0o644))
	}
	if _, err := FolderRecords(flat); !errors.Is(err, ErrFlatFolder) || !strings.Contains(err.Error(), "2 photos directly in it") ||
		!strings.Contains(err.Error(), filepath.Join(flat, "Eileen Collins", "001.jpg")) {
		t.Errorf("flat folder: %v, want ErrFlatFolder showing the layout", err)
	}
	empty := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(empty, "Nobody"), 0o755))
	if _, err := FolderRecords(empty); !errors.Is(err, ErrNoPhotos) || !strings.Contains(err.Error(), "one folder per person") {
		t.Errorf("no photos: %v, want ErrNoPhotos showing the layout", err)
	}
}

func TestCheckOutputOutside(t *testing.T) {
	in := t.TempDir()
	must(t, os.MkdirAll(filepath.Join(in, "Ada"), 0o755))
	link := filepath.Join(t.TempDir(), "link")
	must(t, os.Symlink(in, link))
	for _, tc := range []struct {
		out    string
		inside bool
	}{
		{filepath.Join(in, "dataset"), true},
		{in, true},
		{filepath.Join(in, "Ada", "new", "deeper"), true},
		{filepath.Join(link, "dataset"), true}, // through a link to IN
		{filepath.Join(filepath.Dir(in), filepath.Base(in)+"-dataset"), false},
		{t.TempDir(), false},
	} {
		err := CheckOutputOutside(in, tc.out)
		if errors.Is(err, ErrOutputInInput) != tc.inside || (err != nil && !tc.inside) {
			t.Errorf("CheckOutputOutside(%s) = %v, want inside %v", tc.out, err, tc.inside)
		}
	}
}

func TestPhotoID(t *testing.T) {
	a := PhotoID([]byte("pixels"), "A/1.jpg")
	if len(a) != 16 || !isID(a) {
		t.Fatalf("id %q is not 16 hex digits", a)
	}
	if a != PhotoID([]byte("pixels"), "A/1.jpg") {
		t.Error("not stable")
	}
	if a == PhotoID([]byte("pixels"), "A/2.jpg") || a == PhotoID([]byte("pixel"), "A/1.jpg") {
		t.Error("content or path does not change the id")
	}
}

func TestShard(t *testing.T) {
	if _, err := ParseShard("3/3"); err == nil {
		t.Error("3/3 accepted")
	}
	if _, err := ParseShard("x"); err == nil {
		t.Error("x accepted")
	}
	n := 3
	counts := make([]int, n)
	for i := 0; i < 300; i++ {
		id := PhotoID([]byte{byte(i), byte(i >> 8)}, "p")
		owners := 0
		for s := 0; s < n; s++ {
			sh, err := ParseShard(Shard{I: s, N: n}.String())
			if err != nil {
				t.Fatal(err)
			}
			if sh.HasID(id) {
				owners++
				counts[s]++
			}
		}
		if owners != 1 {
			t.Fatalf("id %s has %d owners", id, owners)
		}
	}
	for s, c := range counts {
		if c < 60 {
			t.Errorf("shard %d got %d of 300", s, c)
		}
	}
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
