/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Loading plugins safely: the record read from the ELF file before any
 * plugin code runs (real files, crafted ones of both classes and byte
 * orders, truncated and corrupted ones), and nnrun with plugins that crash,
 * exit, or carry a constructor although built for another ABI: loaded only
 * when named, and otherwise reported by file. Also a second copy of a
 * plugin, a plugin that takes a built-in's name from a saved model, typos,
 * and suspect plugin folders. No test loads a hostile plugin into this
 * process: only the nnrun processes it starts do. */
#include <elf.h>
#include <stddef.h>
#include <string.h>
#include <sys/stat.h>
#include <CUnit/CUnit.h>
#include <glib/gstdio.h>

#include "nn-test.h"

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(undefined_behavior_sanitizer)
#define NN_TEST_SANITIZED 1
#endif
#endif
#ifndef NN_TEST_SANITIZED
#define NN_TEST_SANITIZED 0
#endif

static int
init_suite (void)
{
  return nn_test_require_env ("NNRUN", "NN_PLUGIN_PATH", "NN_TEST_BUILTIN_PLUGINS",
                              "NN_TEST_PLUGIN_FIXTURES", "NN_TEST_PLUGIN_GOOD",
                              "NN_TEST_PLUGIN_HOSTILE", "NN_TEST_PLUGIN_SHADOW", NULL);
}

static char *
fixture (const char *variable,
         const char *file)
{
  return g_build_filename (g_getenv (variable), file, NULL);
}

static gboolean
contains (const char *haystack,
          const char *needle)
{
  return haystack != NULL && strstr (haystack, needle) != NULL;
}

/* The environment with NN_PLUGIN_PATH set to @first, then the built-ins. */
static char **
env_with_path (const char *first)
{
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, first,
                                     g_getenv ("NN_TEST_BUILTIN_PLUGINS"), NULL);

  return g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
}

/* Reading the record */

static void
test_record_of_builtin (void)
{
  g_autofree char *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char *square = fixture ("NN_TEST_PLUGIN_GOOD", "libfixture-square.so");
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) names = NULL;
  g_auto(GStrv) none = NULL;

  NN_CHECK (nn_plugins_inspect_file (relu, &names, &error), "%s: %s", relu,
            error ? error->message : "");
  NN_CHECK (names != NULL && g_strv_length (names) == 1 &&
              g_str_equal (names[0], "activation:relu"),
            "relu records %s",
            names ? names[0] : "no names");
  g_clear_error (&error);
  /* A plugin built with NN_PLUGIN_DEFINE (register_types) alone. */
  NN_CHECK (nn_plugins_inspect_file (square, &none, &error), "%s: %s", square,
            error ? error->message : "");
  NN_CHECK (none == NULL, "fixture-square records names");
}

/* Refused from the record alone, with the loader's reasons; the ABI-99
 * plugin's constructor, which would write to the log, never runs. */
static void
test_record_refusals (void)
{
  static const struct
  {
    const char *variable;
    const char *file;
    int         code;
    const char *reason;
  } cases[] = {
    { "NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-abi.so", NN_PLUGIN_ERROR_ABI_MISMATCH,
      "plugin ABI version" },
    { "NN_TEST_PLUGIN_FIXTURES", "libfixture-wrong-scalar.so", NN_PLUGIN_ERROR_ABI_MISMATCH,
      "scalars" },
    { "NN_TEST_PLUGIN_FIXTURES", "libfixture-no-info.so", NN_PLUGIN_ERROR_INVALID,
      "no nn_plugin_info symbol" },
    { "NN_TEST_PLUGIN_FIXTURES", "libfixture-no-entry.so", NN_PLUGIN_ERROR_INVALID,
      "no g_io_module_load entry point" },
    { "NN_TEST_PLUGIN_FIXTURES", "libgarbage.so", NN_PLUGIN_ERROR_INVALID,
      "not an ELF file" },
    { "NN_TEST_PLUGIN_HOSTILE", "libfixture-abi-constructor.so", NN_PLUGIN_ERROR_ABI_MISMATCH,
      "version 99" },
  };
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *log = g_build_filename (dir, "constructors.log", NULL);

  g_setenv ("NN_TEST_CONSTRUCTOR_LOG", log, TRUE);
  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *path = fixture (cases[i].variable, cases[i].file);
      g_autoptr(GError) error = NULL;
      gboolean ok = nn_plugins_inspect_file (path, NULL, &error);

      NN_CHECK (!ok, "%s was accepted", cases[i].file);
      NN_ASSERT_ERROR (error, NN_PLUGIN_ERROR, cases[i].code);
      NN_CHECK (error != NULL && contains (error->message, path) &&
                  contains (error->message, cases[i].reason),
                "%s: '%s' lacks the path or '%s'", cases[i].file, error ? error->message : "",
                cases[i].reason);
    }
  g_unsetenv ("NN_TEST_CONSTRUCTOR_LOG");
  NN_CHECK (!g_file_test (log, G_FILE_TEST_EXISTS), "a plugin's constructor ran");
}

/* A small ELF shared object, written field by field: a .dynsym with
 * nn_plugin_info, nn_plugin_names and g_io_module_load, its .dynstr, a
 * .rodata with the two records, a .bss and a .text. */
typedef struct
{
  gboolean    is64;
  gboolean    big;
  guint16     type;
  guint16     machine;
  guint32     abi;
  guint32     real_size;
  gboolean    info_in_bss;
  gboolean    info_undefined;
  guint64     info_size;
  gboolean    with_load;
  const char *names; /* entries of NN_PLUGIN_NAME_SIZE bytes, or NULL */
  gsize       names_size;
  guint64     shoff;         /* 0: where it belongs */
  guint64     shnum;         /* 0: the real count */
  guint64     dynsym_offset; /* 0: where it belongs */
} ElfSpec;

enum {
  RODATA = 0x100,
  NAMES = 0x140,
  DYNSTR = 0x400,
  DYNSYM = 0x500,
  SHDRS = 0x600,
  BSS_ADDR = 0x2000,
  TEXT = 0x80,
  N_SECTIONS = 6,
  FILE_SIZE = SHDRS + N_SECTIONS * 64,
};

static void
put (guint8  *buf,
     gboolean big,
     gsize    offset,
     guint64  v,
     guint    width)
{
  for (guint i = 0; i < width; i++)
    buf[offset + (big ? width - 1 - i : i)] = (guint8) (v >> (8 * i));
}

#define PUT(buf, spec, base, type32, type64, field, v) \
  put ((buf), (spec)->big, (base) + ((spec)->is64 ? offsetof (type64, field) : offsetof (type32, field)), \
       (v), (spec)->is64 ? sizeof (((type64 *) 0)->field) : sizeof (((type32 *) 0)->field))

static void
put_section (guint8        *buf,
             const ElfSpec *spec,
             guint          index,
             guint32        type,
             guint64        addr,
             guint64        offset,
             guint64        size,
             guint32        link,
             guint64        entsize)
{
  gsize base = SHDRS + index * (spec->is64 ? sizeof (Elf64_Shdr) : sizeof (Elf32_Shdr));

  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_type, type);
  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_addr, addr);
  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_offset, offset);
  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_size, size);
  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_link, link);
  PUT (buf, spec, base, Elf32_Shdr, Elf64_Shdr, sh_entsize, entsize);
}

static void
put_symbol (guint8        *buf,
            const ElfSpec *spec,
            guint          index,
            guint32        name,
            guint8         info,
            guint16        shndx,
            guint64        value,
            guint64        size)
{
  gsize base = DYNSYM + index * (spec->is64 ? sizeof (Elf64_Sym) : sizeof (Elf32_Sym));

  PUT (buf, spec, base, Elf32_Sym, Elf64_Sym, st_name, name);
  PUT (buf, spec, base, Elf32_Sym, Elf64_Sym, st_info, info);
  PUT (buf, spec, base, Elf32_Sym, Elf64_Sym, st_shndx, shndx);
  PUT (buf, spec, base, Elf32_Sym, Elf64_Sym, st_value, value);
  PUT (buf, spec, base, Elf32_Sym, Elf64_Sym, st_size, size);
}

static GBytes *
build_elf (const ElfSpec *spec)
{
  static const char strings[] = "\0nn_plugin_info\0nn_plugin_names\0g_io_module_load";
  guint8           *buf = g_malloc0 (FILE_SIZE);
  const guint8      object = ELF64_ST_INFO (STB_GLOBAL, STT_OBJECT);
  const guint8      func = ELF64_ST_INFO (STB_GLOBAL, STT_FUNC);
  gsize             sym_size = spec->is64 ? sizeof (Elf64_Sym) : sizeof (Elf32_Sym);

  memcpy (buf, ELFMAG, SELFMAG);
  buf[EI_CLASS] = spec->is64 ? ELFCLASS64 : ELFCLASS32;
  buf[EI_DATA] = spec->big ? ELFDATA2MSB : ELFDATA2LSB;
  buf[EI_VERSION] = EV_CURRENT;
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_type, spec->type);
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_machine, spec->machine);
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_version, EV_CURRENT);
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_shoff, spec->shoff ? spec->shoff : SHDRS);
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_shentsize,
       spec->is64 ? sizeof (Elf64_Shdr) : sizeof (Elf32_Shdr));
  PUT (buf, spec, 0, Elf32_Ehdr, Elf64_Ehdr, e_shnum, spec->shnum ? spec->shnum : N_SECTIONS);

  /* The records: two 32-bit numbers, then a pointer left at 0. */
  put (buf, spec->big, RODATA, spec->abi, 4);
  put (buf, spec->big, RODATA + 4, spec->real_size, 4);
  if (spec->names != NULL)
    memcpy (buf + NAMES, spec->names, spec->names_size);
  memcpy (buf + DYNSTR, strings, sizeof strings);

  put_symbol (buf, spec, 1, 1, object,
              spec->info_undefined ? SHN_UNDEF : spec->info_in_bss ? 4
                                                                   : 3,
              spec->info_in_bss ? BSS_ADDR : RODATA, spec->info_size ? spec->info_size : 16);
  put_symbol (buf, spec, 2, spec->names ? 16 : 0, object, 3, NAMES, spec->names_size);
  put_symbol (buf, spec, 3, spec->with_load ? 32 : 0, func, 5, TEXT, 4);

  put_section (buf, spec, 1, SHT_DYNSYM, DYNSYM,
               spec->dynsym_offset ? spec->dynsym_offset : DYNSYM, 4 * sym_size, 2, sym_size);
  put_section (buf, spec, 2, SHT_STRTAB, DYNSTR, DYNSTR, sizeof strings, 0, 0);
  put_section (buf, spec, 3, SHT_PROGBITS, RODATA, RODATA, DYNSTR - RODATA, 0, 0);
  put_section (buf, spec, 4, SHT_NOBITS, BSS_ADDR, DYNSTR, 0x100, 0, 0);
  put_section (buf, spec, 5, SHT_PROGBITS, TEXT, TEXT, 0x40, 0, 0);
  return g_bytes_new_take (buf, FILE_SIZE);
}

/* The machine of this build, as its own plugins record it. */
static guint16
native_machine (void)
{
  g_autofree char *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char *contents = NULL;
  gsize            length = 0;

  if (!g_file_get_contents (relu, &contents, &length, NULL) || length < 20)
    return 0;
  return G_BYTE_ORDER == G_BIG_ENDIAN ? (guint16) ((guint8) contents[18] << 8 | (guint8) contents[19])
                                      : (guint16) ((guint8) contents[19] << 8 | (guint8) contents[18]);
}

static ElfSpec
native_spec (void)
{
  ElfSpec spec = { 0 };

  spec.is64 = GLIB_SIZEOF_VOID_P == 8;
  spec.big = G_BYTE_ORDER == G_BIG_ENDIAN;
  spec.type = ET_DYN;
  spec.machine = native_machine ();
  spec.abi = NN_PLUGIN_ABI_VERSION;
  spec.real_size = sizeof (nn_real);
  spec.with_load = TRUE;
  return spec;
}

/* Inspects @spec written to a file: TRUE, or FALSE with @error. */
static gboolean
inspect_spec (const ElfSpec *spec,
              GStrv         *names,
              GError       **error)
{
  g_autoptr(GBytes) bytes = build_elf (spec);
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *path = nn_test_write_bytes (dir, "crafted.so",
                                               g_bytes_get_data (bytes, NULL),
                                               g_bytes_get_size (bytes));

  return nn_plugins_inspect_file (path, names, error);
}

static void
expect_refused (const ElfSpec *spec,
                const char    *reason,
                const char    *what)
{
  g_autoptr(GError) error = NULL;
  gboolean ok = inspect_spec (spec, NULL, &error);

  NN_CHECK (!ok, "%s: accepted", what);
  NN_CHECK (error != NULL && contains (error->message, reason),
            "%s: the error '%s' does not say '%s'", what, error ? error->message : "(none)",
            reason);
}

static void
test_record_crafted (void)
{
  char names[3 * NN_PLUGIN_NAME_SIZE] = "";
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) read = NULL;
  ElfSpec spec = native_spec ();

  strcpy (names, "activation:crafted");
  strcpy (names + NN_PLUGIN_NAME_SIZE, "optimizer:crafted_two");
  spec.names = names;
  spec.names_size = sizeof names;
  NN_CHECK (inspect_spec (&spec, &read, &error), "the crafted plugin is refused: %s",
            error ? error->message : "");
  NN_CHECK (read != NULL && g_strv_length (read) == 2 &&
              g_str_equal (read[0], "activation:crafted") &&
              g_str_equal (read[1], "optimizer:crafted_two"),
            "names read wrong");

  /* The other class and byte order are read through, then refused as
   * another machine's; a broken names record shows they were read. */
  for (int variant = 0; variant < 3; variant++)
    {
      ElfSpec other = spec;
      char    bad[NN_PLUGIN_NAME_SIZE] = "widget:x";

      other.is64 = variant != 1 ? !spec.is64 : spec.is64;
      other.big = variant != 0 ? !spec.big : spec.big;
      expect_refused (&other, "built for a", "another class or byte order");
      other.names = bad;
      other.names_size = sizeof bad;
      expect_refused (&other, "'widget:x'", "a bad names record of another class or order");
    }

  {
    ElfSpec s = spec;
    s.abi = 99;
    expect_refused (&s, "built for plugin ABI version 99", "ABI 99");
  }
  {
    ElfSpec s = spec;
    s.real_size = sizeof (nn_real) == 4 ? 8 : 4;
    expect_refused (&s, "scalars", "the other scalar type");
  }
  {
    ElfSpec s = spec;
    s.info_in_bss = TRUE;
    expect_refused (&s, "uninitialised section (.bss)", "the record in .bss");
  }
  {
    ElfSpec s = spec;
    s.info_undefined = TRUE;
    expect_refused (&s, "not defined", "an undefined record");
  }
  {
    ElfSpec s = spec;
    s.info_size = 4;
    expect_refused (&s, "fewer than the 8", "a record of 4 bytes");
  }
  {
    ElfSpec s = spec;
    s.with_load = FALSE;
    expect_refused (&s, "no g_io_module_load", "no entry point");
  }
  {
    ElfSpec s = spec;
    s.type = ET_EXEC;
    expect_refused (&s, "not a shared object", "an executable");
  }
  {
    ElfSpec s = spec;
    s.machine = spec.machine + 1;
    expect_refused (&s, "another processor", "another machine");
  }
  {
    ElfSpec s = spec;
    char    unterminated[NN_PLUGIN_NAME_SIZE];
    memset (unterminated, 'a', sizeof unterminated);
    s.names = unterminated;
    s.names_size = sizeof unterminated;
    expect_refused (&s, "name record", "an unterminated name");
  }
  {
    ElfSpec s = spec;
    s.names = names;
    s.names_size = NN_PLUGIN_NAME_SIZE + 3;
    expect_refused (&s, "nn_plugin_names symbol is", "a names record with no end");
  }
  {
    /* A sanitizer's red zone after the entries is no part of them. */
    char padded[3 * NN_PLUGIN_NAME_SIZE + 32] = "";
    g_auto(GStrv) padded_names = NULL;
    ElfSpec s = spec;

    memcpy (padded, names, sizeof names);
    s.names = padded;
    s.names_size = sizeof padded;
    g_clear_error (&error);
    NN_CHECK (inspect_spec (&s, &padded_names, &error) && padded_names != NULL &&
                g_strv_length (padded_names) == 2,
              "a names record with a red zone: %s",
              error ? error->message : "wrong names");
  }
  {
    ElfSpec s = spec;
    s.shoff = FILE_SIZE - 8;
    expect_refused (&s, "section headers", "section headers past the end");
  }
  {
    ElfSpec s = spec;
    s.shnum = 0xfeff;
    expect_refused (&s, "section headers", "too many sections");
  }
  {
    ElfSpec s = spec;
    s.dynsym_offset = G_MAXUINT32 - 4;
    expect_refused (&s, "dynamic symbol table", "symbols past the end");
  }
}

/* Every way to cut a real plugin short is refused, none read past the end
 * (this suite also runs under AddressSanitizer). */
static void
test_record_truncated (void)
{
  g_autofree char *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *contents = NULL;
  gsize            length = 0;
  guint            n_refused = 0, n_tried = 0;

  CU_ASSERT_FATAL (g_file_get_contents (relu, &contents, &length, NULL));
  for (gsize cut = 0; cut < length; cut += cut < 512 ? 1 : 37)
    {
      g_autofree char *path = nn_test_write_bytes (dir, "cut.so", contents, cut);
      g_autoptr(GError) error = NULL;
      gboolean ok = nn_plugins_inspect_file (path, NULL, &error);

      n_tried++;
      if (!ok)
        {
          n_refused++;
          NN_CHECK (error != NULL && error->message[0] != '\0', "cut at %zu: no reason", cut);
        }
    }
  /* The section headers come last: every cut loses them. */
  NN_CHECK (n_refused == n_tried, "%u of %u truncated copies were accepted",
            n_tried - n_refused, n_tried);
}

/* Random bytes changed in the parts the reader reads: refused or read,
 * never a crash or a read out of bounds. */
static void
test_record_corrupted (void)
{
  g_autofree char *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *contents = NULL;
  g_autoptr(GRand) rand = g_rand_new_with_seed (12);
  gsize length = 0;
  guint n_refused = 0;

  CU_ASSERT_FATAL (g_file_get_contents (relu, &contents, &length, NULL));
  for (guint round = 0; round < 400; round++)
    {
      g_autofree char *copy = g_memdup2 (contents, length);
      g_autofree char *path = NULL;
      g_autoptr(GError) error = NULL;
      guint n_changes = 1 + g_rand_int_range (rand, 0, 8);

      for (guint c = 0; c < n_changes; c++)
        {
          /* The header, or anywhere. */
          gsize at = g_rand_boolean (rand) ? (gsize) g_rand_int_range (rand, 0, 64)
                                           : (gsize) g_rand_int_range (rand, 0, (gint32) length);
          copy[at] = (char) g_rand_int_range (rand, 0, 256);
        }
      path = nn_test_write_bytes (dir, "corrupt.so", copy, length);
      if (!nn_plugins_inspect_file (path, NULL, &error))
        {
          n_refused++;
          NN_CHECK (error != NULL && error->message[0] != '\0', "round %u: no reason", round);
        }
    }
  NN_CHECK (n_refused > 0, "no corrupted copy was refused");
}

/* nnrun and hostile plugins */

static void
test_abi_constructor_never_runs (void)
{
  const char      *hostile = g_getenv ("NN_TEST_PLUGIN_HOSTILE");
  g_autofree char *plugin = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-abi-constructor.so");
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *log = g_build_filename (dir, "constructors.log", NULL);
  g_autofree char *config = nn_test_source_file ("configs/lesson.yaml");
  g_auto(GStrv) envp = g_environ_setenv (env_with_path (hostile), "NN_TEST_CONSTRUCTOR_LOG",
                                          log, TRUE);
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = nn_test_spawn (envp, &out, NULL, g_getenv ("NNRUN"), "plugins", NULL);
  NN_CHECK (contains (out, plugin) && contains (out, "plugin ABI version 99"),
            "the listing (status %d) does not refuse %s:\n%s", status, plugin, out);
  status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "check-plugin", plugin, NULL);
  NN_CHECK (status == 2 && contains (err, "plugin ABI version 99"),
            "check-plugin: status %d, stderr:\n%s", status, err);
  status = nn_test_spawn (envp, NULL, &err2, g_getenv ("NNRUN"), "train", config, "--quiet",
                          "--out", dir, NULL);
  NN_CHECK (status == 0, "train: status %d, stderr:\n%s", status, err2);
  NN_CHECK (!g_file_test (log, G_FILE_TEST_EXISTS),
            "the constructor of a plugin refused for ABI 99 ran");
}

static void
test_check_plugin_reports_crash_and_exit (void)
{
  g_autofree char *crash = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-crash.so");
  g_autofree char *exits = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-exit.so");
  /* Under the sanitizers the null store is caught first and aborts. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_UNDEFINED__) || NN_TEST_SANITIZED
  g_autofree char *crash_message = g_strdup_printf ("%s: plugin crashed while loading (signal ",
                                                    crash);
#else
  g_autofree char *crash_message = g_strdup_printf ("%s: plugin crashed while loading (signal %d",
                                                    crash, SIGSEGV);
#endif
  g_autofree char *exit_message = g_strdup_printf ("%s: plugin exited with status 0 while "
                                                   "loading",
                                                   exits);
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = nn_test_nnrun (NULL, &err, "check-plugin", crash, NULL);
  NN_CHECK (status == 2 && contains (err, crash_message),
            "check-plugin of a crashing plugin: status %d, stderr:\n%s", status, err);
  status = nn_test_nnrun (NULL, &err2, "check-plugin", exits, NULL);
  NN_CHECK (status == 2 && contains (err2, exit_message),
            "check-plugin of a plugin that exits: status %d, stderr:\n%s", status, err2);
}

static void
test_listing_survives_hostile (void)
{
  g_autofree char *crash = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-crash.so");
  g_autofree char *exits = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-exit.so");
  g_auto(GStrv) envp = env_with_path (g_getenv ("NN_TEST_PLUGIN_HOSTILE"));
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);
  const char      *failed = out ? strstr (out, "Plugin files that could not be loaded:") : NULL;

  NN_CHECK (status == 0, "nnrun plugins: status %d, stderr:\n%s", status, err);
  NN_CHECK (contains (failed, crash) && contains (failed, "plugin crashed while loading"),
            "the crash is not listed:\n%s", out);
  NN_CHECK (contains (failed, exits) && contains (failed, "exited with status 0 while loading"),
            "the exit is not listed:\n%s", out);
  NN_CHECK (contains (out, "  sigmoid ") && contains (out, "  huber "),
            "the other plugins are not listed:\n%s", out);
}

static char *
write_experiment (const char *dir,
                  const char *activation)
{
  g_autofree char *yaml = g_strdup_printf ("seed: 1\n"
                                           "data: {source: iris, scale: minmax}\n"
                                           "model:\n"
                                           "  layers:\n"
                                           "    - {units: 4, activation: %s}\n"
                                           "    - {units: 3, activation: softmax}\n"
                                           "optimizer: {name: sgd, learning_rate: 0.1}\n"
                                           "train: {epochs: 3}\n"
                                           "output: {dir: %s/run}\n",
                                           activation, dir);

  return nn_test_write_file (dir, "experiment.yaml", yaml);
}

/* Named and loaded into nnrun itself: its crash names it. */
static void
test_train_names_crashing_plugin (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "fixture_crash");
  g_autofree char *crash = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-crash.so");
  g_autofree char *message = g_strdup_printf ("%s: plugin crashed while loading", crash);
  g_auto(GStrv) envp = env_with_path (g_getenv ("NN_TEST_PLUGIN_HOSTILE"));
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "train", experiment,
                                           "--quiet", NULL);

  NN_CHECK (status != 0, "train with a crashing plugin succeeded");
  NN_CHECK (contains (err, message), "stderr does not name the plugin:\n%s", err);
}

/* A name no record provides: the files that record none are loaded, and
 * the one that calls exit() is named, with status 2. */
static void
test_train_names_exiting_plugin (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "no_such_activation");
  g_autofree char *exits = fixture ("NN_TEST_PLUGIN_HOSTILE", "libfixture-exit.so");
  g_autofree char *message = g_strdup_printf ("%s: plugin called exit() while loading", exits);
  g_auto(GStrv) envp = env_with_path (g_getenv ("NN_TEST_PLUGIN_HOSTILE"));
  g_autofree char *err = NULL;
  int              status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "train", experiment,
                                           "--quiet", NULL);

  NN_CHECK (status == 2, "status %d, stderr:\n%s", status, err);
  NN_CHECK (contains (err, message), "stderr does not name the plugin:\n%s", err);
}

/* train and predict of what uses only built-ins load no hostile file. */
static void
test_builtins_only_load_nothing_else (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "relu");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *input = nn_test_write_file (dir, "in.csv",
                                               "petal_width,sepal_length,sepal_width,petal_length\n"
                                               "0.2,5.1,3.5,1.4\n");
  g_auto(GStrv) envp = env_with_path (g_getenv ("NN_TEST_PLUGIN_HOSTILE"));
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "train", experiment, "--quiet",
                          NULL);
  NN_CHECK (status == 0, "train: status %d, stderr:\n%s", status, err);
  status = nn_test_spawn (envp, &out, &err2, g_getenv ("NNRUN"), "predict", run, input, NULL);
  NN_CHECK (status == 0, "predict: status %d, stderr:\n%s", status, err2);
  NN_CHECK (contains (out, "setosa") || contains (out, "versicolor") ||
              contains (out, "virginica"),
            "no prediction:\n%s", out);
}

/* Rough edges */

/* A second copy of a plugin, earlier on the path: the later file is
 * refused with the reason, and no GLib warning is printed. */
static void
test_second_copy (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *square = fixture ("NN_TEST_PLUGIN_GOOD", "libfixture-square.so");
  g_autofree char *relu = fixture ("NN_TEST_BUILTIN_PLUGINS", "libnnact-relu.so");
  g_autofree char *square_bytes = NULL;
  g_autofree char *relu_bytes = NULL;
  g_autofree char *square_copy = NULL;
  g_autofree char *relu_copy = NULL;
  g_autofree char *path = NULL;
  g_autofree char *type_message = NULL;
  g_autofree char *name_message = NULL;
  g_auto(GStrv) envp = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  gsize            square_length = 0, relu_length = 0;
  int              status;

  CU_ASSERT_FATAL (g_file_get_contents (square, &square_bytes, &square_length, NULL));
  CU_ASSERT_FATAL (g_file_get_contents (relu, &relu_bytes, &relu_length, NULL));
  square_copy = nn_test_write_bytes (dir, "libsquare-copy.so", square_bytes, square_length);
  relu_copy = nn_test_write_bytes (dir, "librelu-copy.so", relu_bytes, relu_length);
  path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, dir, g_getenv ("NN_TEST_PLUGIN_GOOD"),
                    g_getenv ("NN_TEST_BUILTIN_PLUGINS"), NULL);
  envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  status = nn_test_spawn (envp, &out, &err, g_getenv ("NNRUN"), "plugins", NULL);

  type_message = g_strdup_printf ("%s: type NnFixtureSquareActivation is already registered "
                                  "by %s",
                                  square, square_copy);
  name_message = g_strdup_printf ("%s: name already taken: activation 'relu' (already "
                                  "provided by %s)",
                                  relu, relu_copy);
  NN_CHECK (status == 0, "status %d, stderr:\n%s", status, err);
  NN_CHECK (!contains (err, "GLib"), "GLib warnings:\n%s", err);
  NN_CHECK (contains (out, type_message), "no '%s' in:\n%s", type_message, out);
  NN_CHECK (contains (out, name_message), "no '%s' in:\n%s", name_message, out);
}

static void
test_transposition_suggested (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "rleu");
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = nn_test_nnrun (NULL, &err, "plugins", "rleu", NULL);
  NN_CHECK (status == 2 && contains (err, "did you mean 'relu'?"),
            "nnrun plugins rleu: status %d, stderr:\n%s", status, err);
  status = nn_test_nnrun (NULL, &err2, "train", experiment, NULL);
  NN_CHECK (status == 2 && contains (err2, "did you mean 'relu'?"),
            "train with rleu: status %d, stderr:\n%s", status, err2);
}

/* A saved model's sigmoid is the built-in; a plugin that took the name,
 * first on the path, is refused rather than used. */
static void
test_predict_refuses_shadowing_plugin (void)
{
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "sigmoid");
  g_autofree char *run = g_build_filename (dir, "run", NULL);
  g_autofree char *shadow = fixture ("NN_TEST_PLUGIN_SHADOW", "libfixture-shadow-sigmoid.so");
  g_autofree char *input = nn_test_write_file (dir, "in.csv",
                                               "petal_width,sepal_length,sepal_width,petal_length\n"
                                               "0.2,5.1,3.5,1.4\n");
  g_auto(GStrv) envp = env_with_path (g_getenv ("NN_TEST_PLUGIN_SHADOW"));
  g_autofree char *err = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  status = nn_test_nnrun (NULL, &err, "train", experiment, "--quiet", NULL);
  NN_CHECK (status == 0, "train: status %d, stderr:\n%s", status, err);
  status = nn_test_spawn (envp, NULL, &err2, g_getenv ("NNRUN"), "predict", run, input, NULL);
  NN_CHECK (status == 2, "predict with another sigmoid first: status %d, stderr:\n%s", status,
            err2);
  NN_CHECK (contains (err2, "NnFixtureDuplicateSigmoidActivation") &&
              contains (err2, "NnSigmoidActivation") && contains (err2, shadow),
            "the error does not name both classes and the file:\n%s", err2);
}

static void
test_suspect_folders_warned (void)
{
  g_autofree char *open_dir = nn_test_new_dir ();
  g_autofree char *dir = nn_test_new_dir ();
  g_autofree char *experiment = write_experiment (dir, "relu");
  g_autofree char *path = g_strjoin (G_SEARCHPATH_SEPARATOR_S, open_dir, "relative/plugins",
                                     g_getenv ("NN_TEST_BUILTIN_PLUGINS"), NULL);
  g_auto(GStrv) envp = g_environ_setenv (g_get_environ (), "NN_PLUGIN_PATH", path, TRUE);
  g_autofree char *writable = g_strdup_printf ("plugin folder %s is writable by every user",
                                               open_dir);
  g_autofree char *err = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err2 = NULL;
  int              status;

  CU_ASSERT_FATAL (g_chmod (open_dir, 01777) == 0);
  status = nn_test_spawn (envp, NULL, &err, g_getenv ("NNRUN"), "train", experiment, "--quiet",
                          NULL);
  NN_CHECK (status == 0, "train: status %d, stderr:\n%s", status, err);
  NN_CHECK (contains (err, writable), "no warning about %s:\n%s", open_dir, err);
  NN_CHECK (contains (err, "ignoring the relative folder 'relative/plugins'"),
            "no warning about the relative folder:\n%s", err);
  status = nn_test_spawn (envp, &out, &err2, g_getenv ("NNRUN"), "plugins", NULL);
  NN_CHECK (status == 0 && contains (err2, writable) && contains (err2, "relative/plugins"),
            "nnrun plugins: status %d, stderr:\n%s", status, err2);
  g_chmod (open_dir, 0755);
}

int
main (void)
{
  CU_pSuite suite;

  if (CU_initialize_registry () != CUE_SUCCESS)
    return 99;

  suite = CU_add_suite ("a plugin's record is read from its file, unloaded", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a built-in records its name, an older plugin none",
               test_record_of_builtin);
  CU_add_test (suite, "wrong ABI, scalar type, symbols and non-ELF files are refused unloaded",
               test_record_refusals);
  CU_add_test (suite, "crafted files of both classes and byte orders, and broken ones",
               test_record_crafted);
  CU_add_test (suite, "every truncated copy of a plugin is refused", test_record_truncated);
  CU_add_test (suite, "corrupted copies are refused or read, never read out of bounds",
               test_record_corrupted);

  suite = CU_add_suite ("nnrun with plugins that crash, exit or run constructors", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "the constructor of a plugin refused for ABI 99 never runs",
               test_abi_constructor_never_runs);
  CU_add_test (suite, "check-plugin reports a crash and an exit() by file, with status 2",
               test_check_plugin_reports_crash_and_exit);
  CU_add_test (suite, "nnrun plugins lists the others and the crash and exit by file",
               test_listing_survives_hostile);
  CU_add_test (suite, "train names the plugin that crashes while loading",
               test_train_names_crashing_plugin);
  CU_add_test (suite, "train names the plugin that calls exit() while loading, status 2",
               test_train_names_exiting_plugin);
  CU_add_test (suite, "train and predict with built-ins only load no other plugin",
               test_builtins_only_load_nothing_else);

  suite = CU_add_suite ("copies, shadows, typos and suspect folders", init_suite,
                        nn_test_remove_scratch);
  CU_add_test (suite, "a second copy is refused by type or name, without GLib warnings",
               test_second_copy);
  CU_add_test (suite, "'rleu' suggests 'relu'", test_transposition_suggested);
  CU_add_test (suite, "predict refuses a plugin that took the name of the model's class",
               test_predict_refuses_shadowing_plugin);
  CU_add_test (suite, "world-writable and relative plugin folders are warned about",
               test_suspect_folders_warned);

  return nn_test_run ();
}
