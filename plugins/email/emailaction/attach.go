package emailaction

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/lava-actions/lava-actions/plugins/internal/awsx"
	"github.com/lava-actions/lava-actions/sdk"
)

// loadAttachments reads each named attachment (a local path or
// s3://bucket/key), refusing any larger than max bytes.
func (a *Action) loadAttachments(ctx context.Context, cfg sdk.Config, names []string, max int64) ([]Attachment, error) {
	dir := cfg.Get("EMAIL_ATTACHMENT_DIR", "")
	var out []Attachment
	for _, name := range names {
		var data []byte
		var base string
		var err error
		if strings.HasPrefix(name, "s3://") {
			data, base, err = a.readS3(ctx, name, max)
		} else {
			data, base, err = readLocal(name, dir, max)
		}
		if err != nil {
			return nil, err
		}
		out = append(out, Attachment{Name: base, ContentType: ContentType(base), Data: data})
	}
	return out, nil
}

func tooBig(name string, max int64) error {
	return fmt.Errorf("Attachment %s exceeds %d bytes", name, max)
}

func (a *Action) readS3(ctx context.Context, name string, max int64) ([]byte, string, error) {
	bucket, key, _ := strings.Cut(strings.TrimPrefix(name, "s3://"), "/")
	if bucket == "" || key == "" {
		return nil, "", fmt.Errorf("Bad S3 attachment name: %s", name)
	}
	out, err := a.s3.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		return nil, "", fmt.Errorf("Cannot read attachment %s: %s", name, awsx.ErrorText(err))
	}
	defer out.Body.Close()
	if aws.ToInt64(out.ContentLength) > max {
		return nil, "", tooBig(name, max)
	}
	data, err := io.ReadAll(io.LimitReader(out.Body, max+1))
	if err != nil {
		return nil, "", fmt.Errorf("Cannot read attachment %s: %v", name, err)
	}
	if int64(len(data)) > max {
		return nil, "", tooBig(name, max)
	}
	return data, path.Base(key), nil
}

// readLocal reads a local attachment. With dir set (EMAIL_ATTACHMENT_DIR),
// a relative name is taken from dir, and the file, symlinks resolved, must
// be inside dir; it is then opened through an os.Root of dir, which also
// refuses an escape made between the check and the open.
func readLocal(name, dir string, max int64) ([]byte, string, error) {
	p := name
	var f *os.File
	var err error
	if dir == "" {
		if f, err = os.Open(p); err != nil {
			return nil, "", readErr(name, err)
		}
	} else if f, err = openInside(name, dir); err != nil {
		return nil, "", err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, "", readErr(name, err)
	}
	if st.IsDir() {
		return nil, "", fmt.Errorf("Cannot read attachment %s: is a directory", name)
	}
	if st.Size() > max {
		return nil, "", tooBig(name, max)
	}
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, "", readErr(name, err)
	}
	if int64(len(data)) > max {
		return nil, "", tooBig(name, max)
	}
	return data, filepath.Base(p), nil
}

func openInside(name, dir string) (*os.File, error) {
	absDir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("config EMAIL_ATTACHMENT_DIR: %v", err)
	}
	realDir, err := filepath.EvalSymlinks(absDir)
	if err != nil {
		return nil, fmt.Errorf("config EMAIL_ATTACHMENT_DIR: %v", errText(err))
	}
	p := name
	if !filepath.IsAbs(p) {
		p = filepath.Join(absDir, p)
	}
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return nil, readErr(name, err)
	}
	rel, err := filepath.Rel(realDir, real)
	if err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) || filepath.IsAbs(rel) {
		return nil, fmt.Errorf("Attachment %s is outside EMAIL_ATTACHMENT_DIR", name)
	}
	root, err := os.OpenRoot(realDir)
	if err != nil {
		return nil, fmt.Errorf("config EMAIL_ATTACHMENT_DIR: %v", errText(err))
	}
	defer root.Close()
	f, err := root.Open(rel)
	if err != nil {
		return nil, readErr(name, err)
	}
	return f, nil
}

// readErr words a file error without repeating the path.
func readErr(name string, err error) error {
	return fmt.Errorf("Cannot read attachment %s: %s", name, errText(err))
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}
