/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* model.safetensors: exact round trips, the layout the reference writes,
 * files exchanged both ways with an independent Python implementation
 * (tests/reference/read_safetensors.py), and malformed files, every one of
 * which must be refused with an error. */
#include <string.h>
#include <glib/gstdio.h>
#include <CUnit/CUnit.h>

#include "nn-test.h"

/* Every test works below this folder, made by the suite init. */
static char *scratch;
static guint scratch_serial;

/* ---- helpers --------------------------------------------------------------- */

static int
init_suite (void)
{
  scratch = nn_test_new_dir ();
  return 0;
}

static int
clean_suite (void)
{
  g_clear_pointer (&scratch, g_free);
  return nn_test_remove_scratch ();
}

/* A fresh path below the scratch folder. */
static char *
scratch_file (const char *stem)
{
  g_autofree char *base = g_strdup_printf ("%s-%u.safetensors", stem, ++scratch_serial);
  return g_build_filename (scratch, base, NULL);
}

/* The bytes of a file: a header length, @header as it is, then @data_len
 * bytes of data (0, 1, 2, ...). */
static GByteArray *
file_bytes_with_length (guint64     header_len,
                        const char *header,
                        gsize       data_len)
{
  GByteArray *bytes = g_byte_array_new ();
  guint64     le = GUINT64_TO_LE (header_len);

  g_byte_array_append (bytes, (const guint8 *) &le, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  for (gsize i = 0; i < data_len; i++)
    {
      guint8 b = (guint8) i;
      g_byte_array_append (bytes, &b, 1);
    }
  return bytes;
}

static GByteArray *
file_bytes (const char *header,
            gsize       data_len)
{
  return file_bytes_with_length (strlen (header), header, data_len);
}

static char *
write_scratch (const char *stem,
               const void *bytes,
               gsize       len)
{
  g_autoptr(GError) error = NULL;
  char *path = scratch_file (stem);

  g_file_set_contents (path, bytes, len, &error);
  g_assert_no_error (error);
  return path;
}

/* Reading @path fails with NN_MODEL_ERROR_INVALID_FILE, a message that starts
 * with the path and contains @fragment, and no result. */
static void
assert_refused_at (const char *path,
                   const char *fragment,
                   int         line)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GHashTable) tensors = nn_safetensors_read (path, &metadata, &error);
  g_autofree char *prefix = g_strconcat (path, ": error: ", NULL);
  gboolean         ok = tensors == NULL && metadata == NULL &&
                g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE) &&
                g_str_has_prefix (error->message, prefix) &&
                strstr (error->message, fragment) != NULL;

  nn_test_check_at (ok, __FILE__, line, "expected an error containing \"%s\", got %s", fragment,
                    error ? error->message : "none");
}

#define ASSERT_REFUSED(path, fragment) assert_refused_at ((path), (fragment), __LINE__)

static void
assert_bytes_refused_at (const GByteArray *bytes,
                         const char       *fragment,
                         int               line)
{
  g_autofree char *path = write_scratch ("bad", bytes->data, bytes->len);

  assert_refused_at (path, fragment, line);
}

#define ASSERT_BYTES_REFUSED(bytes, fragment) \
  assert_bytes_refused_at ((bytes), (fragment), __LINE__)

static void
assert_header_refused_at (const char *header,
                          gsize       data_len,
                          const char *fragment,
                          int         line)
{
  g_autoptr(GByteArray) bytes = file_bytes (header, data_len);

  assert_bytes_refused_at (bytes, fragment, line);
}

#define ASSERT_HEADER_REFUSED(header, data_len, fragment) \
  assert_header_refused_at ((header), (data_len), (fragment), __LINE__)

static GHashTable *
read_ok (const char  *path,
         GHashTable **metadata)
{
  g_autoptr(GError) error = NULL;
  GHashTable *tensors = nn_safetensors_read (path, metadata, &error);

  NN_ASSERT_NO_ERROR (error);
  return tensors;
}

static gboolean
same_bits (const NnMatrix *a,
           const NnMatrix *b)
{
  return a->rows == b->rows && a->cols == b->cols &&
         (nn_matrix_size (a) == 0 ||
          memcmp (a->data, b->data, nn_matrix_size (a) * sizeof (nn_real)) == 0);
}

/* The header of a file as a string. */
static char *
read_header (const char *path)
{
  g_autofree char *contents = NULL;
  gsize            len;
  guint64          n;

  if (!g_file_get_contents (path, &contents, &len, NULL) || len < 8)
    return NULL;
  memcpy (&n, contents, 8);
  n = GUINT64_FROM_LE (n);
  if (n > len - 8)
    return NULL;
  return g_strndup (contents + 8, n);
}

/* The SHA-256 of a matrix's values as little-endian float64, as
 * read_safetensors.py prints it. */
static char *
values_digest (const NnMatrix *m)
{
  g_autoptr(GChecksum) sum = g_checksum_new (G_CHECKSUM_SHA256);

  for (gsize i = 0; i < nn_matrix_size (m); i++)
    {
      double  d = m->data[i];
      guint64 bits;

      memcpy (&bits, &d, 8);
      bits = GUINT64_TO_LE (bits);
      g_checksum_update (sum, (const guchar *) &bits, 8);
    }
  return g_strdup (g_checksum_get_string (sum));
}

/* Runs /usr/bin/python3 read_safetensors.py ARGS; stdout on success. */
static char *
run_reference (const char *arg1,
               const char *arg2)
{
  g_autofree char *script = nn_test_source_file ("tests/reference/read_safetensors.py");
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (NULL, &out, &err, NN_TEST_PYTHON, script, arg1, arg2, NULL);

  NN_CHECK (status == 0, "read_safetensors.py failed with status %d:\n%s", status,
            err ? err : "");
  return status == 0 ? g_steal_pointer (&out) : NULL;
}

/* Three matrices with awkward values, a bias among them. */
typedef struct
{
  const char *names[4];
  NnMatrix   *tensors[4];
  guint       n;
} Sample;

static void
sample_init (Sample *s)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  nn_real special[] = { 0.0, -0.0, 1.0, -1.0, NN_REAL_MIN, NN_REAL_MIN / 4, NN_REAL_MAX,
                        -NN_REAL_MAX, NN_REAL_EPSILON, (nn_real) 0.1, (nn_real) INFINITY,
                        (nn_real) NAN };

  /* Given out of order: the file sorts them by name. */
  s->names[0] = "layers.1.weight";
  s->tensors[0] = nn_test_random_matrix (rand, 3, 5, -2, 2);
  s->names[1] = "layers.0.weight";
  s->tensors[1] = nn_matrix_new_from_data (3, 4, special);
  s->names[2] = "layers.0.bias";
  s->tensors[2] = nn_test_random_matrix (rand, 1, 3, -1, 1);
  s->names[3] = "layers.1.bias";
  s->tensors[3] = nn_matrix_new (1, 0);
  s->n = 4;
}

static void
sample_clear (Sample *s)
{
  for (guint i = 0; i < s->n; i++)
    nn_matrix_free (s->tensors[i]);
}

static GHashTable *
sample_metadata (void)
{
  GHashTable *metadata = g_hash_table_new (g_str_hash, g_str_equal);

  g_hash_table_insert (metadata, "format", "pt");
  g_hash_table_insert (metadata, "quote\"back\\slash", "new\nline\ttab\x01");
  g_hash_table_insert (metadata, "unicode", "déjà vu ∑");
  return metadata;
}

/* ---- round trips -------------------------------------------------------------- */

static void
test_round_trip_is_exact (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata_in = sample_metadata ();
  g_autoptr(GHashTable) metadata = NULL;
  g_autoptr(GHashTable) tensors = NULL;
  g_autofree char *path = scratch_file ("round-trip");
  Sample           s;

  sample_init (&s);
  CU_ASSERT_TRUE (nn_safetensors_write (path, s.n, s.names, (const NnMatrix * const *) s.tensors,
                                        metadata_in, &error));
  NN_ASSERT_NO_ERROR (error);
  tensors = read_ok (path, &metadata);
  if (tensors != NULL)
    {
      CU_ASSERT_EQUAL (g_hash_table_size (tensors), s.n);
      for (guint i = 0; i < s.n; i++)
        {
          const NnMatrix *m = g_hash_table_lookup (tensors, s.names[i]);
          CU_ASSERT_TRUE (m != NULL && same_bits (m, s.tensors[i]));
        }
      CU_ASSERT_EQUAL (g_hash_table_size (metadata), 3);
      CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (metadata, "format"), "pt");
      CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (metadata, "quote\"back\\slash"),
                              "new\nline\ttab\x01");
      CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (metadata, "unicode"), "déjà vu ∑");
    }
  sample_clear (&s);
}

static void
test_header_layout_follows_the_reference (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = sample_metadata ();
  g_autofree char *path = scratch_file ("layout");
  g_autofree char *header = NULL;
  g_autofree char *expected = NULL;
  GStatBuf         st;
  Sample           s;
  gsize            n = sizeof (nn_real);

  sample_init (&s);
  nn_safetensors_write (path, s.n, s.names, (const NnMatrix * const *) s.tensors, metadata,
                        &error);
  NN_ASSERT_NO_ERROR (error);
  header = read_header (path);
  CU_ASSERT_PTR_NOT_NULL_FATAL (header);
  /* Compact JSON, metadata first with sorted keys, tensors sorted by name
   * and laid out in that order, spaces up to a multiple of 8 bytes. */
  expected = g_strdup_printf (
    "{\"__metadata__\":{\"format\":\"pt\",\"quote\\\"back\\\\slash\":"
    "\"new\\nline\\ttab\\u0001\",\"unicode\":\"déjà vu ∑\"},"
    "\"layers.0.bias\":{\"dtype\":\"%s\",\"shape\":[1,3],\"data_offsets\":[0,%zu]},"
    "\"layers.0.weight\":{\"dtype\":\"%s\",\"shape\":[3,4],\"data_offsets\":[%zu,%zu]},"
    "\"layers.1.bias\":{\"dtype\":\"%s\",\"shape\":[1,0],\"data_offsets\":[%zu,%zu]},"
    "\"layers.1.weight\":{\"dtype\":\"%s\",\"shape\":[3,5],\"data_offsets\":[%zu,%zu]}}",
    NN_SAFETENSORS_DTYPE, 3 * n, NN_SAFETENSORS_DTYPE, 3 * n, 15 * n,
    NN_SAFETENSORS_DTYPE, 15 * n, 15 * n, NN_SAFETENSORS_DTYPE, 15 * n, 30 * n);
  CU_ASSERT_EQUAL (strlen (header) % 8, 0);
  CU_ASSERT_TRUE (g_str_has_prefix (header, expected));
  for (const char *c = header + strlen (expected); *c; c++)
    CU_ASSERT_EQUAL (*c, ' ');
  CU_ASSERT_EQUAL (g_stat (path, &st), 0);
  CU_ASSERT_EQUAL ((gsize) st.st_size, 8 + strlen (header) + 30 * n);
  sample_clear (&s);
}

static void
test_awkward_names_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) tensors = NULL;
  g_autofree char *path = scratch_file ("names");
  const char      *names[] = { "quote\"s", "back\\slash", "tab\tand\nnewline", "ünïcødé ∑", "" };
  g_autoptr(NnMatrix) m = nn_matrix_new (1, 1);
  const NnMatrix *ms[] = { m, m, m, m, m };

  m->data[0] = 3;
  CU_ASSERT_TRUE (nn_safetensors_write (path, 5, names, ms, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  tensors = read_ok (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tensors);
  CU_ASSERT_EQUAL (g_hash_table_size (tensors), 5);
  for (guint i = 0; i < 5; i++)
    {
      const NnMatrix *r = g_hash_table_lookup (tensors, names[i]);
      CU_ASSERT_TRUE (r != NULL && same_bits (r, m));
    }
}

static void
test_no_tensors_round_trip (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autofree char *path = scratch_file ("none");
  g_autofree char *header = NULL;

  CU_ASSERT_TRUE (nn_safetensors_write (path, 0, NULL, NULL, NULL, &error));
  NN_ASSERT_NO_ERROR (error);
  header = read_header (path);
  CU_ASSERT_STRING_EQUAL (header, "{}      ");
  tensors = read_ok (path, &metadata);
  CU_ASSERT_TRUE (tensors != NULL && g_hash_table_size (tensors) == 0);
  CU_ASSERT_TRUE (metadata != NULL && g_hash_table_size (metadata) == 0);
}

static void
test_one_and_two_dimensional_tensors_of_either_float_type_are_read (void)
{
  /* F32 [2], F64 [2, 2], F64 [3]: 8 + 32 + 24 bytes, values exact in both
   * precisions. Padding may be any JSON whitespace. */
  const char *header =
    "{\"v\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},\n"
    " \"m\":{\"shape\":[2,2],\"data_offsets\":[8,40],\"dtype\":\"F64\"},\n"
    " \"w\":{\"data_offsets\":[40,64],\"dtype\":\"F64\",\"shape\":[3]}}\t\r\n  ";
  g_autoptr(GByteArray) bytes = g_byte_array_new ();
  g_autoptr(GHashTable) tensors = NULL;
  g_autofree char *path = NULL;
  guint64          n = GUINT64_TO_LE (strlen (header));
  float            fv[] = { 1.5f, -0.25f };
  double           dv[] = { 1, 2, 3, 4, -0.5, 1e-3, 65504 };
  const NnMatrix  *v, *m, *w;

  g_byte_array_append (bytes, (const guint8 *) &n, 8);
  g_byte_array_append (bytes, (const guint8 *) header, strlen (header));
  for (guint i = 0; i < 2; i++)
    {
      guint32 bits;
      memcpy (&bits, &fv[i], 4);
      bits = GUINT32_TO_LE (bits);
      g_byte_array_append (bytes, (const guint8 *) &bits, 4);
    }
  for (guint i = 0; i < 7; i++)
    {
      guint64 bits;
      memcpy (&bits, &dv[i], 8);
      bits = GUINT64_TO_LE (bits);
      g_byte_array_append (bytes, (const guint8 *) &bits, 8);
    }
  path = write_scratch ("dims", bytes->data, bytes->len);
  tensors = read_ok (path, NULL);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tensors);
  v = g_hash_table_lookup (tensors, "v");
  m = g_hash_table_lookup (tensors, "m");
  w = g_hash_table_lookup (tensors, "w");
  CU_ASSERT_FATAL (v && m && w);
  CU_ASSERT_TRUE (v->rows == 1 && v->cols == 2);
  CU_ASSERT_TRUE (m->rows == 2 && m->cols == 2);
  CU_ASSERT_TRUE (w->rows == 1 && w->cols == 3);
  CU_ASSERT_EQUAL (v->data[0], (nn_real) 1.5);
  CU_ASSERT_EQUAL (v->data[1], (nn_real) -0.25);
  for (guint i = 0; i < 4; i++)
    CU_ASSERT_EQUAL (m->data[i], (nn_real) dv[i]);
  for (guint i = 0; i < 3; i++)
    CU_ASSERT_EQUAL (w->data[i], (nn_real) dv[4 + i]);
}

/* ---- writing ------------------------------------------------------------------ */

static void
test_bad_names_are_refused_and_leave_the_file_alone (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = scratch_file ("keep");
  g_autofree char *contents = NULL;
  g_autoptr(NnMatrix) m = nn_matrix_new (2, 2);
  const NnMatrix *ms[] = { m, m };
  const char     *twice[] = { "w", "w" };
  const char     *reserved[] = { "__metadata__" };
  const char     *not_utf8[] = { "\xff\xfe" };

  g_file_set_contents (path, "old", -1, &error);
  g_assert_no_error (error);

  CU_ASSERT_FALSE (nn_safetensors_write (path, 2, twice, ms, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  CU_ASSERT_TRUE (error && strstr (error->message, "'w' is given twice"));
  g_clear_error (&error);
  CU_ASSERT_FALSE (nn_safetensors_write (path, 1, reserved, ms, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  g_clear_error (&error);
  CU_ASSERT_FALSE (nn_safetensors_write (path, 1, not_utf8, ms, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE);
  g_clear_error (&error);

  CU_ASSERT_TRUE (g_file_get_contents (path, &contents, NULL, NULL));
  CU_ASSERT_STRING_EQUAL (contents, "old");
}

static void
test_a_failed_write_is_an_io_error_and_leaves_nothing (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (scratch, "missing-folder", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(NnMatrix) m = nn_matrix_new (2, 2);
  const NnMatrix *ms[] = { m };
  const char     *names[] = { "w" };

  CU_ASSERT_FALSE (nn_safetensors_write (path, 1, names, ms, NULL, &error));
  NN_ASSERT_ERROR (error, NN_MODEL_ERROR, NN_MODEL_ERROR_IO);
  CU_ASSERT_TRUE (error && g_str_has_prefix (error->message, path));
  CU_ASSERT_FALSE (g_file_test (dir, G_FILE_TEST_EXISTS));
}

static void
test_writing_replaces_the_file_and_leaves_no_temporary (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_build_filename (scratch, "replace", NULL);
  g_autofree char *path = g_build_filename (dir, "model.safetensors", NULL);
  g_autoptr(GDir) listing = NULL;
  g_autoptr(GHashTable) tensors = NULL;
  g_autoptr(NnMatrix) a = nn_matrix_new (2, 2);
  g_autoptr(NnMatrix) b = nn_matrix_new (1, 3);
  const NnMatrix *first[] = { a };
  const NnMatrix *second[] = { b };
  const char     *names[] = { "w" };
  const char     *entry;
  guint           n_entries = 0;

  CU_ASSERT_EQUAL_FATAL (g_mkdir (dir, 0700), 0);
  nn_matrix_fill (b, 2);
  nn_safetensors_write (path, 1, names, first, NULL, &error);
  NN_ASSERT_NO_ERROR (error);
  nn_safetensors_write (path, 1, names, second, NULL, &error);
  NN_ASSERT_NO_ERROR (error);
  tensors = read_ok (path, NULL);
  CU_ASSERT_TRUE (tensors != NULL && same_bits (g_hash_table_lookup (tensors, "w"), b));

  listing = g_dir_open (dir, 0, NULL);
  while (listing != NULL && (entry = g_dir_read_name (listing)) != NULL)
    {
      CU_ASSERT_STRING_EQUAL (entry, "model.safetensors");
      n_entries++;
    }
  CU_ASSERT_EQUAL (n_entries, 1);
  g_unlink (path);
  g_rmdir (dir);
}

/* ---- the independent Python implementation ------------------------------------ */

static void
test_the_python_reader_reads_what_nn_writes (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GString) expected = g_string_new (NULL);
  g_autofree char *path = scratch_file ("to-python");
  g_autofree char *out = NULL;
  const char      *sorted[] = { "layers.0.bias", "layers.0.weight", "layers.1.bias",
                                "layers.1.weight" };
  Sample           s;

  sample_init (&s);
  g_hash_table_insert (metadata, "epochs", "200");
  g_hash_table_insert (metadata, "format", "pt");
  CU_ASSERT_TRUE (nn_safetensors_write (path, s.n, s.names, (const NnMatrix * const *) s.tensors,
                                        metadata, &error));
  NN_ASSERT_NO_ERROR (error);
  for (guint k = 0; k < G_N_ELEMENTS (sorted); k++)
    for (guint i = 0; i < s.n; i++)
      if (g_str_equal (s.names[i], sorted[k]))
        {
          g_autofree char *digest = values_digest (s.tensors[i]);
          g_string_append_printf (expected, "tensor\t%s\t%s\t%ux%u\t%s\n", s.names[i],
                                  NN_SAFETENSORS_DTYPE, s.tensors[i]->rows,
                                  s.tensors[i]->cols, digest);
        }
  g_string_append (expected, "metadata\tepochs\t200\nmetadata\tformat\tpt\n");
  out = run_reference (path, NULL);
  if (out != NULL)
    NN_CHECK (g_str_equal (out, expected->str), "expected:\n%sgot:\n%s", expected->str, out);
  sample_clear (&s);
}

static void
test_nn_reads_what_the_python_writer_writes (void)
{
  g_autoptr(GHashTable) tensors = NULL;
  g_autoptr(GHashTable) metadata = NULL;
  g_autofree char *path = scratch_file ("from-python");
  g_autofree char *out = NULL;
  const NnMatrix  *dw, *db, *ow, *ob, *empty;

  out = run_reference ("--write", path);
  CU_ASSERT_PTR_NOT_NULL_FATAL (out);
  tensors = read_ok (path, &metadata);
  CU_ASSERT_PTR_NOT_NULL_FATAL (tensors);
  CU_ASSERT_EQUAL (g_hash_table_size (tensors), 5);
  dw = g_hash_table_lookup (tensors, "dense.weight");
  db = g_hash_table_lookup (tensors, "dense.bias");
  ow = g_hash_table_lookup (tensors, "output.weight");
  ob = g_hash_table_lookup (tensors, "output.bias");
  empty = g_hash_table_lookup (tensors, "empty");
  CU_ASSERT_FATAL (dw && db && ow && ob && empty);
  CU_ASSERT_TRUE (dw->rows == 3 && dw->cols == 4);
  CU_ASSERT_TRUE (db->rows == 1 && db->cols == 3);
  CU_ASSERT_TRUE (ow->rows == 2 && ow->cols == 3);
  CU_ASSERT_TRUE (ob->rows == 1 && ob->cols == 2);
  CU_ASSERT_TRUE (empty->rows == 0 && empty->cols == 5);
  /* The formulas of fixture() in read_safetensors.py: F32 values rounded
   * from double as NumPy does, F64 values as they are. */
  for (int i = 0; i < 12; i++)
    CU_ASSERT_EQUAL (dw->data[i], (nn_real) (float) (((i * 7) % 13 - 6) / 4.0 + 0.1));
  for (int i = 0; i < 3; i++)
    CU_ASSERT_EQUAL (db->data[i], (nn_real) (float) (0.25 * i - 0.3));
  for (int i = 0; i < 6; i++)
    CU_ASSERT_EQUAL (ow->data[i], (nn_real) ((i - 2) / 3.0));
  for (int i = 0; i < 2; i++)
    CU_ASSERT_EQUAL (ob->data[i], (nn_real) (1e-3 * (i + 1)));
  CU_ASSERT_EQUAL (g_hash_table_size (metadata), 2);
  CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (metadata, "format"), "pt");
  CU_ASSERT_STRING_EQUAL (g_hash_table_lookup (metadata, "writer"), "read_safetensors.py");
}

/* ---- malformed files ------------------------------------------------------------- */

#define F32_4 "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}"

static void
test_short_files_are_refused (void)
{
  g_autofree char *missing = g_build_filename (scratch, "no-such-file", NULL);
  g_autofree char *empty = write_scratch ("empty", "", 0);
  g_autofree char *seven = write_scratch ("seven", "\x10\0\0\0\0\0\0", 7);

  ASSERT_REFUSED (missing, "cannot open");
  ASSERT_REFUSED (scratch, "not a regular file");
  ASSERT_REFUSED (empty, "the file has 0 bytes");
  ASSERT_REFUSED (seven, "the file has 7 bytes");
}

static void
test_bad_header_lengths_are_refused (void)
{
  g_autoptr(GByteArray) huge = file_bytes_with_length (G_MAXUINT64, F32_4, 16);
  g_autoptr(GByteArray) over_limit = file_bytes_with_length (NN_SAFETENSORS_MAX_HEADER_SIZE + 1,
                                                              F32_4, 16);
  g_autoptr(GByteArray) past_eof = file_bytes_with_length (strlen (F32_4) + 17, F32_4, 16);
  g_autoptr(GByteArray) zero = file_bytes_with_length (0, F32_4, 16);

  ASSERT_BYTES_REFUSED (huge, "exceeds the limit");
  ASSERT_BYTES_REFUSED (over_limit, "exceeds the limit");
  ASSERT_BYTES_REFUSED (past_eof, "runs past the end of the file");
  ASSERT_BYTES_REFUSED (zero, "starts with the end of the header");
}

static void
test_every_truncation_of_a_valid_file_is_refused (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) metadata = sample_metadata ();
  g_autofree char *path = scratch_file ("whole");
  g_autofree char *contents = NULL;
  gsize            len;
  guint            refused = 0;
  Sample           s;

  sample_init (&s);
  nn_safetensors_write (path, s.n, s.names, (const NnMatrix * const *) s.tensors, metadata,
                        &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (path, &contents, &len, NULL));
  for (gsize cut = 0; cut < len; cut++)
    {
      g_autofree char *part = write_scratch ("cut", contents, cut);
      g_autoptr(GHashTable) tensors = nn_safetensors_read (part, NULL, &error);

      if (tensors == NULL && g_error_matches (error, NN_MODEL_ERROR, NN_MODEL_ERROR_INVALID_FILE))
        refused++;
      g_clear_error (&error);
      g_unlink (part);
    }
  CU_ASSERT_EQUAL (refused, len);
  sample_clear (&s);
}

/* Random byte changes to a valid file: each result is a table or an error,
 * never both, never neither (and, under valgrind, never a bad access). */
static void
test_mutated_files_read_or_fail_cleanly (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (11);
  g_autoptr(GHashTable) metadata = sample_metadata ();
  g_autofree char *path = scratch_file ("fuzz-source");
  g_autofree char *contents = NULL;
  const char      *alphabet = "{}[]\":,\\ 0123456789-.eEuF\x80\xff";
  gsize            len;
  guint            consistent = 0, n_runs = 500;
  Sample           s;

  sample_init (&s);
  nn_safetensors_write (path, s.n, s.names, (const NnMatrix * const *) s.tensors, metadata,
                        &error);
  NN_ASSERT_NO_ERROR (error);
  CU_ASSERT_TRUE_FATAL (g_file_get_contents (path, &contents, &len, NULL));
  for (guint run = 0; run < n_runs; run++)
    {
      g_autofree char *copy = g_memdup2 (contents, len);
      g_autofree char *mutant = NULL;
      g_autoptr(GHashTable) tensors = NULL;
      guint n_changes = g_rand_int_range (rand, 1, 4);

      for (guint k = 0; k < n_changes; k++)
        {
          /* Mostly in the header, where the parsing is. */
          gsize at = g_rand_boolean (rand) ? (gsize) g_rand_int_range (rand, 8, 8 + 200)
                                           : (gsize) g_rand_int_range (rand, 0, (gint32) len);
          copy[MIN (at, len - 1)] = g_rand_boolean (rand)
                                      ? alphabet[g_rand_int_range (rand, 0, (gint32) strlen (alphabet))]
                                      : (char) g_rand_int_range (rand, 0, 256);
        }
      mutant = write_scratch ("fuzz", copy, len);
      tensors = nn_safetensors_read (mutant, NULL, &error);
      if ((tensors == NULL) == (error != NULL))
        consistent++;
      g_clear_error (&error);
      g_unlink (mutant);
    }
  CU_ASSERT_EQUAL (consistent, n_runs);
  sample_clear (&s);
}

static void
test_headers_that_are_not_strict_json_objects_are_refused (void)
{
  g_autoptr(GByteArray) bad_utf8 = file_bytes ("{\"\xff\":{}}", 0);
  g_autoptr(GByteArray) nul = file_bytes_with_length (8, "{\"a", 0);
  GString *deep = g_string_new ("{\"a\":");

  g_byte_array_append (nul, (const guint8 *) "\0\":{}}", 6);
  ASSERT_HEADER_REFUSED ("hello, world", 0, "must be a JSON object, but starts with 'h'");
  ASSERT_HEADER_REFUSED ("[]      ", 0, "must be a JSON object");
  ASSERT_HEADER_REFUSED ("42", 0, "must be a JSON object");
  ASSERT_HEADER_REFUSED (" {}", 0, "must be a JSON object");
  ASSERT_HEADER_REFUSED ("{", 0, "expected a tensor name (a string), found the end");
  ASSERT_HEADER_REFUSED ("{hello}", 0, "expected a tensor name");
  ASSERT_HEADER_REFUSED ("{/* comment */}", 0, "expected a tensor name");
  ASSERT_HEADER_REFUSED ("{'a':{}}", 0, "expected a tensor name");
  ASSERT_HEADER_REFUSED ("{\"a\" 1}", 0, "byte 13: bad header: expected ':'");
  ASSERT_HEADER_REFUSED (F32_4 " {}", 16, "data after the JSON object");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},}",
                         16, "expected a tensor name");
  ASSERT_HEADER_REFUSED ("{\"a", 0, "unterminated string");
  ASSERT_HEADER_REFUSED ("{\"a\\", 0, "unterminated string");
  ASSERT_HEADER_REFUSED ("{\"a\tb\":{}}", 0, "control character 0x09");
  ASSERT_HEADER_REFUSED ("{\"a\\x\":{}}", 0, "invalid escape '\\x'");
  ASSERT_HEADER_REFUSED ("{\"a\\u00\":{}}", 0, "four hexadecimal digits");
  ASSERT_HEADER_REFUSED ("{\"a\\u0000\":{}}", 0, "NUL character");
  ASSERT_HEADER_REFUSED ("{\"a\\ud800\":{}}", 0, "unpaired surrogate");
  ASSERT_HEADER_REFUSED ("{\"a\\udc00\":{}}", 0, "unpaired surrogate");
  ASSERT_HEADER_REFUSED ("{\"a\\ud800\\u0041\":{}}", 0, "unpaired surrogate");
  ASSERT_BYTES_REFUSED (bad_utf8, "byte 10: bad header: not valid UTF-8");
  ASSERT_BYTES_REFUSED (nul, "not valid UTF-8");

  /* Nesting is refused at the first level the schema does not allow, so
   * depth costs no stack. */
  for (int i = 0; i < 100000; i++)
    g_string_append_c (deep, '[');
  ASSERT_HEADER_REFUSED (deep->str, 0, "expected '{' to open a tensor description");
  g_string_free (deep, TRUE);
}

static void
test_bad_tensor_descriptions_are_refused (void)
{
  ASSERT_HEADER_REFUSED ("{\"a\":[0,16]}", 16, "expected '{' to open a tensor description");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4]}}", 16,
                         "tensor 'a' has no data_offsets");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
                         "tensor 'a' has no dtype");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[4],"
                         "\"data_offsets\":[0,16]}}",
                         16, "field 'dtype' given twice");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16],"
                         "\"foo\":1}}",
                         16, "unknown field 'foo'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":32,\"shape\":[4],\"data_offsets\":[0,16]}}", 16,
                         "expected a dtype (a string), found '3'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F33\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                         16, "tensor 'a' (byte 9): unknown dtype 'F33'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F16\",\"shape\":[8],\"data_offsets\":[0,16]}}",
                         16, "dtype F16 is not supported");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"BF16\",\"shape\":[8],\"data_offsets\":[0,16]}}",
                         16, "dtype BF16 is not supported");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"I32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                         16, "dtype I32 is not supported");
  ASSERT_HEADER_REFUSED ("{\"__metadata__\":{\"k\":1}}", 0, "expected a metadata value");
  ASSERT_HEADER_REFUSED ("{\"__metadata__\":{\"k\":\"v\",\"k\":\"w\"}}", 0,
                         "metadata key 'k' given twice");
  ASSERT_HEADER_REFUSED ("{\"__metadata__\":{},\"__metadata__\":{}}", 0,
                         "__metadata__ given twice");
}

static void
test_bad_shapes_are_refused (void)
{
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[-1,2],\"data_offsets\":[0,8]}}",
                         8, "a dimension -1 is negative");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}",
                         8, "a dimension 2.0 is not an integer");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2e0],\"data_offsets\":[0,8]}}",
                         8, "is not an integer");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[02],\"data_offsets\":[0,8]}}",
                         8, "leading zero");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[0x2],\"data_offsets\":[0,8]}}",
                         8, "expected ',' or ']' in a dimension, found 'x'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[NaN],\"data_offsets\":[0,8]}}",
                         8, "expected a dimension (a number), found 'N'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}",
                         8, "expected a dimension (a number)");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[18446744073709551616],"
                         "\"data_offsets\":[0,8]}}",
                         8, "is too large");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F64\",\"shape\":[4294967296,4294967296],"
                         "\"data_offsets\":[0,8]}}",
                         8, "too many elements");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],"
                         "\"data_offsets\":[0,8]}}",
                         8, "too many elements");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296],"
                         "\"data_offsets\":[0,8]}}",
                         8, "a dimension exceeds");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1,2,1],\"data_offsets\":[0,8]}}",
                         8, "tensor 'a' (byte 9): a 3-D tensor");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}",
                         4, "a scalar (0-D tensor)");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
                         20, "shape [2, 3] of F32 takes 24 bytes, but data_offsets [0, 20] hold 20");
}

static void
test_bad_data_offsets_are_refused (void)
{
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16,32]}}",
                         32, "data_offsets has 3 entries");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16]}}",
                         16, "data_offsets has 1 entries");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[16,0]}}",
                         16, "end before they begin");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,-16]}}",
                         16, "a data offset -16 is negative");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                         8, "run past the end of the data, which has 8 bytes");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],"
                         "\"data_offsets\":[18446744073709551600,0]}}",
                         16, "end before");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[8,24]}}",
                         24, "tensor 'b' (byte 63): data_offsets [8, 24] overlap tensor 'a' "
                             "[0, 16]");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                         "\"z\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,8]}}",
                         16, "tensor 'z'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}",
                         16, "overlap tensor 'a'");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                         "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}",
                         20, "data bytes [8, 12) (file offset ");
  ASSERT_HEADER_REFUSED (F32_4, 20, "data bytes [16, 20)");
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
                         4, "data bytes [0, 4)");
  ASSERT_HEADER_REFUSED ("{}", 1, "data bytes [0, 1)");
}

static void
test_a_name_given_twice_is_refused (void)
{
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                         "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                         8, "byte 62: bad header: tensor 'a' is described twice");
  /* The same name spelt with an escape. */
  ASSERT_HEADER_REFUSED ("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                         "\"\\u0061\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                         8, "tensor 'a' is described twice");
}

static void
test_names_in_messages_are_escaped_and_cut (void)
{
  g_autoptr(GString) header = g_string_new ("{\"\\u001b[31m");
  g_autoptr(GByteArray) bytes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) tensors = NULL;
  g_autofree char *path = NULL;

  for (int i = 0; i < 200; i++)
    g_string_append (header, "é");
  g_string_append (header, "\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}");
  bytes = file_bytes (header->str, 2);
  path = write_scratch ("escape", bytes->data, bytes->len);
  tensors = nn_safetensors_read (path, NULL, &error);
  CU_ASSERT_PTR_NULL (tensors);
  CU_ASSERT_PTR_NOT_NULL_FATAL (error);
  CU_ASSERT_PTR_NULL (strchr (error->message, '\x1b'));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "'\\033[31méé"));
  CU_ASSERT_PTR_NOT_NULL (strstr (error->message, "é…'"));
  CU_ASSERT_TRUE (strlen (error->message) < strlen (path) + 250);
}

static void
test_values_out_of_range_are_refused_in_the_float_build (void)
{
  const char *header = "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}";
  g_autoptr(GByteArray) bytes = file_bytes (header, 0);
  g_autofree char *path = NULL;
  double           values[] = { 1.0, 1e300 };

  for (guint i = 0; i < 2; i++)
    {
      guint64 bits;
      memcpy (&bits, &values[i], 8);
      bits = GUINT64_TO_LE (bits);
      g_byte_array_append (bytes, (const guint8 *) &bits, 8);
    }
  path = write_scratch ("range", bytes->data, bytes->len);
#if NN_REAL_IS_DOUBLE
  g_autoptr(GHashTable) tensors = read_ok (path, NULL);

  CU_ASSERT_TRUE (tensors != NULL &&
                  ((NnMatrix *) g_hash_table_lookup (tensors, "a"))->data[1] == 1e300);
#else
  ASSERT_REFUSED (path, "tensor 'a' (byte 9): element 1 (1e+300) is out of the range of float");
#endif
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("safetensors files round-trip exactly", init_suite, clean_suite);
  CU_add_test (suite, "matrices and metadata come back bit for bit", test_round_trip_is_exact);
  CU_add_test (suite, "the header is laid out as the reference writes it",
               test_header_layout_follows_the_reference);
  CU_add_test (suite, "names that need escaping round-trip", test_awkward_names_round_trip);
  CU_add_test (suite, "a file with no tensors round-trips", test_no_tensors_round_trip);
  CU_add_test (suite, "1-D and 2-D tensors of F32 and F64 are read",
               test_one_and_two_dimensional_tensors_of_either_float_type_are_read);

  suite = CU_add_suite ("safetensors files are written safely", init_suite, clean_suite);
  CU_add_test (suite, "bad tensor names are refused and leave the file alone",
               test_bad_names_are_refused_and_leave_the_file_alone);
  CU_add_test (suite, "a failed write is an I/O error and leaves nothing",
               test_a_failed_write_is_an_io_error_and_leaves_nothing);
  CU_add_test (suite, "writing replaces the file and leaves no temporary file",
               test_writing_replaces_the_file_and_leaves_no_temporary);

  if (nn_test_python_has_numpy ())
    {
      suite = CU_add_suite ("safetensors files are exchanged with an independent Python "
                            "implementation",
                            init_suite, clean_suite);
      CU_add_test (suite, "the Python reader reads what nn writes",
                   test_the_python_reader_reads_what_nn_writes);
      CU_add_test (suite, "nn reads exactly what the Python writer writes",
                   test_nn_reads_what_the_python_writer_writes);
    }
  else
    g_printerr ("skipping the Python interoperability tests: " NN_TEST_PYTHON " with numpy "
                "was not found\n");

  suite = CU_add_suite ("malformed safetensors files are refused", init_suite, clean_suite);
  CU_add_test (suite, "missing, empty and 7-byte files are refused", test_short_files_are_refused);
  CU_add_test (suite, "header lengths too large or past the end are refused",
               test_bad_header_lengths_are_refused);
  CU_add_test (suite, "every truncation of a valid file is refused",
               test_every_truncation_of_a_valid_file_is_refused);
  CU_add_test (suite, "randomly changed files are read or refused cleanly",
               test_mutated_files_read_or_fail_cleanly);
  CU_add_test (suite, "headers that are not strict JSON objects are refused",
               test_headers_that_are_not_strict_json_objects_are_refused);
  CU_add_test (suite, "bad tensor descriptions are refused", test_bad_tensor_descriptions_are_refused);
  CU_add_test (suite, "negative, fractional, huge and 0-D or 3-D shapes are refused",
               test_bad_shapes_are_refused);
  CU_add_test (suite, "data offsets out of bounds, overlapping or leaving gaps are refused",
               test_bad_data_offsets_are_refused);
  CU_add_test (suite, "a tensor name given twice is refused", test_a_name_given_twice_is_refused);
  CU_add_test (suite, "names in messages are escaped and cut",
               test_names_in_messages_are_escaped_and_cut);
  CU_add_test (suite, "F64 values out of the range of nn_real are refused",
               test_values_out_of_range_are_refused_in_the_float_build);

  return nn_test_run ();
}
