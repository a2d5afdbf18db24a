/*
 * playbooks.c - the playbook folder; see playbooks.h.
 */
#include <dirent.h>
#include <errno.h>
#include <sys/stat.h>

#include "util/base.h"
#include "playbooks.h"

int playbooks_read_file(const char *path, struct playbook *pb,
			struct buf *errors)
{
	struct stat sb;
	char *data;
	size_t n;
	FILE *f;
	int rc;

	memset(pb, 0, sizeof(*pb));
	f = fopen(path, "rb");
	if (!f || fstat(fileno(f), &sb)) {
		buf_addf(errors, "%s: cannot read: %s\n", path,
			 strerror(errno));
		if (f)
			fclose(f);
		return SCRIBE_EIO;
	}
	if (!S_ISREG(sb.st_mode) || sb.st_size > PLAYBOOK_MAX_BYTES) {
		buf_addf(errors,
			 S_ISREG(sb.st_mode)
			     ? "%s: %lld bytes: a playbook is at most "
			       "1 MiB\n"
			     : "%s: not a regular file\n",
			 path, (long long)sb.st_size);
		fclose(f);
		return SCRIBE_EINVAL;
	}
	data = xmalloc((size_t)sb.st_size + 1);
	n = fread(data, 1, (size_t)sb.st_size, f);
	fclose(f);
	rc = playbook_parse(path, data, n, pb, errors);
	free(data);
	return rc;
}

static bool playbook_file(const char *name)
{
	const char *dot = strrchr(name, '.');

	return name[0] != '.' && dot &&
	       (!strcmp(dot, ".yaml") || !strcmp(dot, ".yml") ||
		!strcmp(dot, ".json"));
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Appends the first line of problems (one file's) to errors, with how
 * many more there were: a broken file is one line at start-up. */
static void first_problem(struct buf *errors, const char *problems,
			  const char *path)
{
	const char *nl = strchr(problems, '\n'), *p;
	size_t more = 0;

	if (!nl)
		nl = problems + strlen(problems);
	for (p = nl; *p; p++)
		more += *p == '\n' && p[1];
	buf_add(errors, problems, (size_t)(nl - problems));
	if (more)
		buf_addf(errors, " (and %zu more: scribe playbook lint %s)",
			 more, path);
	buf_addch(errors, '\n');
}

int playbooks_add_dir(const char *dir, struct pb_library *lib,
		      struct buf *errors, struct buf *notes, size_t *added)
{
	struct playbook pb;
	struct dirent *de;
	struct buf problems;
	char **names = NULL, *path;
	size_t n = 0, cap = 0, i, before = lib->n;
	int failed = 0;
	DIR *d;

	*added = 0;
	d = opendir(dir);
	if (!d) {
		if (errno != ENOENT) {
			buf_addf(errors, "%s: cannot read: %s\n", dir,
				 strerror(errno));
			failed++;
		}
		return failed;
	}
	while ((de = readdir(d)))
		if (playbook_file(de->d_name)) {
			ALLOC_GROW(names, n + 1, cap);
			names[n++] = xstrdup(de->d_name);
		}
	closedir(d);
	/* In name order, so that which of two equal ids wins is stable. */
	if (n)
		qsort(names, n, sizeof(*names), cmp_names);
	buf_init(&problems, BUF_UNBOUNDED);
	for (i = 0; i < n; i++) {
		const struct playbook *had;

		path = xasprintf("%s/%s", dir, names[i]);
		buf_reset(&problems);
		if (playbooks_read_file(path, &pb, &problems)) {
			first_problem(errors, problems.s, path);
			failed++;
		} else if ((had = pb_library_find(lib, pb.id)) &&
			   (size_t)(had - lib->books) < before) {
			buf_addf(notes, "%s (id '%s') wins over %s: same id\n",
				 had->file, pb.id, path);
			playbook_release(&pb);
		} else if (pb_library_add(lib, &pb)) {
			buf_addf(errors,
				 "%s: a playbook with this id is "
				 "already loaded: skipped\n",
				 path);
			failed++;
		} else {
			(*added)++;
		}
		free(path);
		free(names[i]);
	}
	buf_release(&problems);
	free(names);
	return failed;
}

int playbooks_load_dir(const char *dir, struct pb_library *lib,
		       struct buf *errors)
{
	struct buf notes;
	size_t added;
	int failed;

	pb_library_init(lib);
	buf_init(&notes, BUF_UNBOUNDED);
	failed = playbooks_add_dir(dir, lib, errors, &notes, &added);
	buf_release(&notes);
	pb_library_finish(lib);
	return failed;
}

int playbooks_lint(int nfiles, char **files, FILE *out)
{
	struct playbook pb;
	struct buf errors;
	int i, bad = 0;

	buf_init(&errors, BUF_UNBOUNDED);
	for (i = 0; i < nfiles; i++) {
		buf_reset(&errors);
		if (playbooks_read_file(files[i], &pb, &errors)) {
			fputs(errors.s, out);
			bad++;
			continue;
		}
		fprintf(out, "%s: ok: %s, %zu step%s\n", files[i], pb.id,
			pb.nsteps, pb.nsteps == 1 ? "" : "s");
		playbook_release(&pb);
	}
	buf_release(&errors);
	return bad ? 1 : 0;
}

int playbooks_snippets(const char *file, const char *flavor, const char *dir,
		       FILE *out)
{
	struct playbook pb;
	struct buf errors;
	size_t i, j;
	int k, rc;

	buf_init(&errors, BUF_UNBOUNDED);
	rc = playbooks_read_file(file, &pb, &errors);
	if (rc) {
		fputs(errors.s, stderr);
		buf_release(&errors);
		return 1;
	}
	buf_release(&errors);
	for (i = 0; i < pb.nsteps; i++) {
		for (j = 0, k = 0; j < pb.steps[i].ncmds; j++) {
			const struct pb_command *c = &pb.steps[i].cmds[j];
			char *path;
			FILE *f;

			if (strcmp(c->flavor, flavor))
				continue;
			path = xasprintf(
			    "%s/%s-S%zu-%d.%s", dir, pb.id, i + 1, ++k,
			    strcmp(flavor, "shell") ? "sql" : "sh");
			f = fopen(path, "w");
			if (!f || fputs(c->run, f) < 0 || fclose(f)) {
				fprintf(stderr, "%s: %s\n", path,
					strerror(errno));
				free(path);
				playbook_release(&pb);
				return 1;
			}
			fprintf(out, "%s\n", path);
			free(path);
		}
	}
	playbook_release(&pb);
	return 0;
}
