package imageio

import (
	"bytes"
	"encoding/binary"
	"image"

	"github.com/disintegration/imaging"
)

// jpegExif returns the TIFF payload of a JPEG's APP1 "Exif" segment, or nil.
func jpegExif(data []byte) []byte {
	i := 2 // after SOI
	for i+4 <= len(data) {
		if data[i] != 0xff {
			return nil
		}
		marker := data[i+1]
		if marker == 0xff { // fill byte
			i++
			continue
		}
		if marker == 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker == 0x01 {
			i += 2
			continue
		}
		if marker == 0xda || marker == 0xd9 { // start of scan, end of image: no EXIF before
			return nil
		}
		n := int(binary.BigEndian.Uint16(data[i+2:]))
		if n < 2 || i+2+n > len(data) {
			return nil
		}
		seg := data[i+4 : i+2+n]
		if marker == 0xe1 && bytes.HasPrefix(seg, []byte("Exif\x00\x00")) {
			return seg[6:]
		}
		i += 2 + n
	}
	return nil
}

// pngExif returns the payload of a PNG's eXIf chunk, or nil.
func pngExif(data []byte) []byte {
	i := 8
	for i+12 <= len(data) {
		n := int(binary.BigEndian.Uint32(data[i:]))
		typ := string(data[i+4 : i+8])
		if n < 0 || i+12+n > len(data) {
			return nil
		}
		switch typ {
		case "eXIf":
			return data[i+8 : i+8+n]
		case "IDAT", "IEND":
			return nil
		}
		i += 12 + n
	}
	return nil
}

// webpExif returns the payload of a WebP's EXIF chunk, or nil.
func webpExif(data []byte) []byte {
	i := 12
	for i+8 <= len(data) {
		typ := string(data[i : i+4])
		n := int(binary.LittleEndian.Uint32(data[i+4:]))
		if n < 0 || i+8+n > len(data) {
			return nil
		}
		if typ == "EXIF" {
			p := data[i+8 : i+8+n]
			// Some writers keep the JPEG-style "Exif\0\0" header.
			return bytes.TrimPrefix(p, []byte("Exif\x00\x00"))
		}
		i += 8 + n + n%2
	}
	return nil
}

// exifOrientation reads tag 0x0112 from IFD0 of a TIFF-structured EXIF
// payload. It returns 1 (no change) when absent or malformed.
func exifOrientation(tiff []byte) int {
	if len(tiff) < 8 {
		return 1
	}
	var bo binary.ByteOrder
	switch string(tiff[:2]) {
	case "II":
		bo = binary.LittleEndian
	case "MM":
		bo = binary.BigEndian
	default:
		return 1
	}
	off := int(bo.Uint32(tiff[4:]))
	if off < 8 || off+2 > len(tiff) {
		return 1
	}
	n := int(bo.Uint16(tiff[off:]))
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(tiff) {
			return 1
		}
		if bo.Uint16(tiff[e:]) != 0x0112 {
			continue
		}
		v := int(bo.Uint16(tiff[e+8:])) // SHORT, left-justified in the value field
		if v < 1 || v > 8 {
			return 1
		}
		return v
	}
	return 1
}

// Orient returns img transformed so that it displays upright for an EXIF
// orientation value (1–8). For 1 or an unknown value img itself is returned.
// The transforms are imaging's (FlipH, Rotate180, …), applied to the same
// bytes viewed as NRGBA: they only move pixels, so premultiplied alpha
// comes through unchanged.
func Orient(img *image.RGBA, orientation int) *image.RGBA {
	view := &image.NRGBA{Pix: img.Pix, Stride: img.Stride, Rect: img.Rect}
	var out *image.NRGBA
	switch orientation {
	case 2: // mirrored horizontally
		out = imaging.FlipH(view)
	case 3: // rotated 180°
		out = imaging.Rotate180(view)
	case 4: // mirrored vertically
		out = imaging.FlipV(view)
	case 5: // transposed
		out = imaging.Transpose(view)
	case 6: // rotated 90° clockwise to display
		out = imaging.Rotate270(view)
	case 7: // transverse
		out = imaging.Transverse(view)
	case 8: // rotated 90° counter-clockwise to display
		out = imaging.Rotate90(view)
	default:
		return img
	}
	return &image.RGBA{Pix: out.Pix, Stride: out.Stride, Rect: out.Rect}
}
