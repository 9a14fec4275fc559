/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* A plugin's record, read from its ELF file before the file is loaded: the
 * ABI version and scalar size of nn_plugin_info, whether g_io_module_load
 * is defined, and the names of nn_plugin_names. Loading a shared object runs
 * its constructors, so this is what lets the loader refuse a plugin built
 * for another nn, and pick the one file that provides a name, without
 * running any plugin code.
 *
 * The file is untrusted input: every offset and size read from it is
 * checked against the bytes actually there before it is used, and nothing
 * is taken from it that would need its relocations applied. Both ELF
 * classes and both byte orders are read; whether they suit this machine is
 * nn_plugin_record_check()'s business. */
#include "config.h"

#include <elf.h>
#include <stddef.h>
#include <string.h>

#include "nn-errors.h"
#include "nn-plugin.h"
#include "nn-plugin-record-private.h"
#include "nn-real.h"
#include "nn-registry-private.h"
#include "nn-utils-private.h"

/* A names record longer than this many entries is refused. */
#define MAX_NAMES 1024

typedef struct
{
  const guint8 *data;
  gsize         size;
  gboolean      is64;
  gboolean      big_endian;
} Elf;

typedef struct
{
  guint32 type;
  guint64 addr;
  guint64 offset;
  guint64 size;
  guint32 link;
  guint64 entsize;
} Section;

typedef struct
{
  guint32 name;
  guint8  info;
  guint16 shndx;
  guint64 value;
  guint64 size;
} Symbol;

static gboolean
in_file (const Elf *elf,
         guint64    offset,
         guint64    length)
{
  return offset <= elf->size && length <= elf->size - offset;
}

/* The readers below are only called on ranges in_file() accepted. */
static guint64
read_uint (const Elf *elf,
           guint64    offset,
           guint      width)
{
  const guint8 *p = elf->data + offset;
  guint64       v = 0;

  for (guint i = 0; i < width; i++)
    v |= (guint64) p[elf->big_endian ? width - 1 - i : i] << (8 * i);
  return v;
}

#define FIELD(elf, base, type32, type64, field) \
  read_uint ((elf), (base) + ((elf)->is64 ? offsetof (type64, field) : offsetof (type32, field)), \
             (elf)->is64 ? sizeof (((type64 *) 0)->field) : sizeof (((type32 *) 0)->field))

static gboolean
invalid (GError    **error,
         const char *format,
         ...) G_GNUC_PRINTF (2, 3);

static gboolean
invalid (GError    **error,
         const char *format,
         ...)
{
  g_autofree char *message = NULL;
  va_list          args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
               "not a loadable shared object: %s", message);
  return FALSE;
}

static void
read_section (const Elf *elf,
              guint64    shoff,
              guint64    shentsize,
              guint64    index,
              Section   *s)
{
  guint64 base = shoff + index * shentsize;

  s->type = (guint32) FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_type);
  s->addr = FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_addr);
  s->offset = FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_offset);
  s->size = FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_size);
  s->link = (guint32) FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_link);
  s->entsize = FIELD (elf, base, Elf32_Shdr, Elf64_Shdr, sh_entsize);
}

static void
read_symbol (const Elf *elf,
             guint64    base,
             Symbol    *sym)
{
  sym->name = (guint32) FIELD (elf, base, Elf32_Sym, Elf64_Sym, st_name);
  sym->info = (guint8) FIELD (elf, base, Elf32_Sym, Elf64_Sym, st_info);
  sym->shndx = (guint16) FIELD (elf, base, Elf32_Sym, Elf64_Sym, st_shndx);
  sym->value = FIELD (elf, base, Elf32_Sym, Elf64_Sym, st_value);
  sym->size = FIELD (elf, base, Elf32_Sym, Elf64_Sym, st_size);
}

typedef struct
{
  guint64 shoff;
  guint64 shentsize;
  guint64 shnum;
} Sections;

/* The bytes of a defined data symbol, at least @min_size of them. */
static const guint8 *
symbol_bytes (const Elf      *elf,
              const Sections *sections,
              const Symbol   *sym,
              const char     *name,
              guint64         min_size,
              GError        **error)
{
  Section s;
  guint64 delta;

  if (sym->shndx == SHN_UNDEF || sym->shndx >= SHN_LORESERVE || sym->shndx >= sections->shnum)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "not an nn plugin: its %s symbol is not defined in a section of the file",
                   name);
      return NULL;
    }
  if (ELF64_ST_TYPE (sym->info) != STT_OBJECT)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "not an nn plugin: its %s symbol is not data (use NN_PLUGIN_DEFINE)", name);
      return NULL;
    }
  if (sym->size < min_size)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "not an nn plugin: its %s symbol is %" G_GUINT64_FORMAT " bytes, "
                   "fewer than the %" G_GUINT64_FORMAT " it must have",
                   name, sym->size,
                   min_size);
      return NULL;
    }
  read_section (elf, sections->shoff, sections->shentsize, sym->shndx, &s);
  if (s.type == SHT_NOBITS)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "not an nn plugin: its %s symbol is in an uninitialised section (.bss), "
                   "so it records nothing (use NN_PLUGIN_DEFINE)",
                   name);
      return NULL;
    }
  if (sym->value < s.addr || sym->value - s.addr > s.size ||
      sym->size > s.size - (sym->value - s.addr))
    {
      invalid (error, "its %s symbol lies outside its section", name);
      return NULL;
    }
  delta = sym->value - s.addr;
  if (s.offset > G_MAXUINT64 - delta || !in_file (elf, s.offset + delta, sym->size))
    {
      invalid (error, "truncated: its %s symbol lies past the end of the file", name);
      return NULL;
    }
  return elf->data + s.offset + delta;
}

/* "kind:name", with the name of a kind and NAME as a YAML file names it. */
static gboolean
valid_name_entry (const char *entry)
{
  const char    *colon = strchr (entry, ':');
  const char    *name = colon ? colon + 1 : NULL;
  NnRegistryKind kind;

  if (name == NULL || !nn_registry_kind_for_name (entry, colon - entry, &kind) ||
      !g_ascii_islower (name[0]))
    return FALSE;
  for (const char *p = name; *p != '\0'; p++)
    if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '_')
      return FALSE;
  return TRUE;
}

/* nn_plugin_names: entries of NN_PLUGIN_NAME_SIZE bytes, each a
 * NUL-terminated "kind:name", up to the first empty one, which must be
 * there. The symbol may be longer than its entries (a sanitizer's red zone
 * after it). No entry at all (a plugin that lists nothing) is recorded as
 * NULL. */
static gboolean
read_names (const guint8 *bytes,
            guint64       size,
            GStrv        *names,
            GError      **error)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  guint64 n = size / NN_PLUGIN_NAME_SIZE;
  guint   n_names = 0;

  if (n > MAX_NAMES)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                   "not an nn plugin: its nn_plugin_names symbol is %" G_GUINT64_FORMAT
                   " bytes, more than %u entries of %u",
                   size, MAX_NAMES, NN_PLUGIN_NAME_SIZE);
      return FALSE;
    }
  for (guint64 i = 0; i < n; i++)
    {
      const char *entry = (const char *) bytes + i * NN_PLUGIN_NAME_SIZE;
      gsize       length = strnlen (entry, NN_PLUGIN_NAME_SIZE);

      if (length == 0)
        {
          *names = n_names > 0 ? g_strv_builder_end (builder) : NULL;
          return TRUE;
        }
      if (length == NN_PLUGIN_NAME_SIZE || !valid_name_entry (entry))
        {
          g_autofree char *cut = g_strndup (entry, MIN (length, 40));
          g_autofree char *shown = g_strescape (cut, NULL);

          g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                       "its name record has an entry that is not KIND:NAME, with KIND "
                       "one of %s and NAME in lower case, digits and '_': '%s'",
                       nn_registry_kinds_text (), shown);
          return FALSE;
        }
      g_strv_builder_add (builder, entry);
      n_names++;
    }
  g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
               "not an nn plugin: its nn_plugin_names symbol is not ended by an empty entry "
               "within its %" G_GUINT64_FORMAT " bytes",
               size);
  return FALSE;
}

/* Checks the ELF header: a shared object nn can read the record of. */
static gboolean
read_elf_header (Elf            *elf,
                 NnPluginRecord *record,
                 GError        **error)
{
  const guint8 *data = elf->data;
  guint64       ehsize;

  if (elf->size < EI_NIDENT || memcmp (data, ELFMAG, SELFMAG) != 0)
    return invalid (error, "not an ELF file");
  if (data[EI_CLASS] != ELFCLASS32 && data[EI_CLASS] != ELFCLASS64)
    return invalid (error, "unknown ELF class %u", data[EI_CLASS]);
  if (data[EI_DATA] != ELFDATA2LSB && data[EI_DATA] != ELFDATA2MSB)
    return invalid (error, "unknown ELF byte order %u", data[EI_DATA]);
  if (data[EI_VERSION] != EV_CURRENT)
    return invalid (error, "unknown ELF version %u", data[EI_VERSION]);
  elf->is64 = data[EI_CLASS] == ELFCLASS64;
  elf->big_endian = data[EI_DATA] == ELFDATA2MSB;
  record->elf_class = data[EI_CLASS];
  record->elf_data = data[EI_DATA];

  ehsize = elf->is64 ? sizeof (Elf64_Ehdr) : sizeof (Elf32_Ehdr);
  if (!in_file (elf, 0, ehsize))
    return invalid (error, "truncated: the ELF header is cut short");
  if (FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_type) != ET_DYN)
    return invalid (error, "not a shared object (ELF type %u)",
                    (guint) FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_type));
  record->machine = (guint) FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_machine);
  return TRUE;
}

/* Finds the section headers, each checked to lie within the file. */
static gboolean
read_section_headers (const Elf *elf,
                      Sections  *sections,
                      GError   **error)
{
  sections->shoff = FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_shoff);
  sections->shentsize = FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_shentsize);
  sections->shnum = FIELD (elf, 0, Elf32_Ehdr, Elf64_Ehdr, e_shnum);
  if (sections->shoff == 0)
    return invalid (error, "it has no section headers, which nn reads a plugin's record "
                           "from before loading it");
  if (sections->shentsize < (elf->is64 ? sizeof (Elf64_Shdr) : sizeof (Elf32_Shdr)))
    return invalid (error, "its section headers are %" G_GUINT64_FORMAT " bytes, too small",
                    sections->shentsize);
  if (!in_file (elf, sections->shoff, sections->shentsize))
    return invalid (error, "truncated: the section headers lie past the end of the file");
  if (sections->shnum == 0)
    {
      /* More than 0xff00 sections: the count is in the first header. */
      Section first;

      read_section (elf, sections->shoff, sections->shentsize, 0, &first);
      sections->shnum = first.size;
    }
  /* shentsize < 2^16, so the product cannot overflow before the check. */
  if (sections->shnum > elf->size / sections->shentsize ||
      !in_file (elf, sections->shoff, sections->shnum * sections->shentsize))
    return invalid (error, "truncated: the section headers lie past the end of the file");
  return TRUE;
}

/* Finds the dynamic symbol table and its string table. */
static gboolean
find_dynamic_symbols (const Elf      *elf,
                      const Sections *sections,
                      Section        *dynsym,
                      Section        *dynstr,
                      GError        **error)
{
  guint64 dynsym_index = 0;

  for (guint64 i = 0; i < sections->shnum && dynsym_index == 0; i++)
    {
      read_section (elf, sections->shoff, sections->shentsize, i, dynsym);
      if (dynsym->type == SHT_DYNSYM)
        dynsym_index = i;
    }
  if (dynsym_index == 0)
    return invalid (error, "it has no dynamic symbol table");
  if (dynsym->entsize < (elf->is64 ? sizeof (Elf64_Sym) : sizeof (Elf32_Sym)) ||
      !in_file (elf, dynsym->offset, dynsym->size))
    return invalid (error, "its dynamic symbol table is malformed or cut short");
  if (dynsym->link == 0 || dynsym->link >= sections->shnum)
    return invalid (error, "its dynamic symbol table has no string table");
  read_section (elf, sections->shoff, sections->shentsize, dynsym->link, dynstr);
  if (dynstr->type != SHT_STRTAB || !in_file (elf, dynstr->offset, dynstr->size))
    return invalid (error, "the string table of its dynamic symbols is malformed or cut short");
  return TRUE;
}

/* The symbols nn looks for, as far as the dynamic symbol table has them. */
typedef struct
{
  gboolean have_info;
  gboolean have_names;
  gboolean has_load;
  Symbol   info;
  Symbol   names;
} PluginSymbols;

static void
find_plugin_symbols (const Elf     *elf,
                     const Section *dynsym,
                     const Section *dynstr,
                     PluginSymbols *found)
{
  guint64 n_symbols = dynsym->size / dynsym->entsize;

  for (guint64 i = 0; i < n_symbols; i++)
    {
      Symbol      sym;
      const char *name;

      read_symbol (elf, dynsym->offset + i * dynsym->entsize, &sym);
      if (sym.name >= dynstr->size)
        continue;
      name = (const char *) elf->data + dynstr->offset + sym.name;
      /* Unterminated within the table: not a name this code looks for. */
      if (memchr (name, '\0', dynstr->size - sym.name) == NULL)
        continue;
      if (ELF64_ST_BIND (sym.info) != STB_GLOBAL && ELF64_ST_BIND (sym.info) != STB_WEAK)
        continue;
      if (g_str_equal (name, "nn_plugin_info") && !found->have_info)
        {
          found->info = sym;
          found->have_info = TRUE;
        }
      else if (g_str_equal (name, "nn_plugin_names") && !found->have_names)
        {
          found->names = sym;
          found->have_names = TRUE;
        }
      else if (g_str_equal (name, "g_io_module_load") && sym.shndx != SHN_UNDEF &&
               (ELF64_ST_TYPE (sym.info) == STT_FUNC ||
                ELF64_ST_TYPE (sym.info) == STT_GNU_IFUNC))
        found->has_load = TRUE;
    }
}

/**
 * nn_plugin_record_parse:
 * @data: (array length=size): the bytes of a file
 * @size: their number
 * @record: (out caller-allocates): the record, cleared first
 * @error: return location for a #GError
 *
 * Reads the record of a plugin file from its bytes. Nothing is checked
 * against this nn yet (see nn_plugin_record_check()).
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_PLUGIN_ERROR_INVALID) if
 *   the bytes are not an ELF shared object with an nn_plugin_info symbol
 *   that can be read
 */
gboolean
nn_plugin_record_parse (const guint8   *data,
                        gsize           size,
                        NnPluginRecord *record,
                        GError        **error)
{
  Elf           elf = { data, size, FALSE, FALSE };
  Sections      sections;
  Section       dynsym, dynstr;
  PluginSymbols found = {
    FALSE,
  };
  const guint8 *bytes;

  memset (record, 0, sizeof *record);

  if (!read_elf_header (&elf, record, error) ||
      !read_section_headers (&elf, &sections, error) ||
      !find_dynamic_symbols (&elf, &sections, &dynsym, &dynstr, error))
    return FALSE;
  find_plugin_symbols (&elf, &dynsym, &dynstr, &found);
  record->has_load = found.has_load;

  if (!found.have_info)
    {
      g_set_error_literal (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                           "not an nn plugin: it has no nn_plugin_info symbol "
                           "(use NN_PLUGIN_DEFINE)");
      return FALSE;
    }
  /* The two 32-bit numbers that start NnPluginInfo; the version string
   * after them is a pointer, which only relocation makes meaningful. */
  bytes = symbol_bytes (&elf, &sections, &found.info, "nn_plugin_info", 8, error);
  if (bytes == NULL)
    return FALSE;
  record->abi_version = (guint32) read_uint (&elf, (guint64) (bytes - data), 4);
  record->real_size = (guint32) read_uint (&elf, (guint64) (bytes - data) + 4, 4);

  if (found.have_names)
    {
      bytes = symbol_bytes (&elf, &sections, &found.names, "nn_plugin_names",
                            NN_PLUGIN_NAME_SIZE, error);
      if (bytes == NULL || !read_names (bytes, found.names.size, &record->names, error))
        {
          nn_plugin_record_clear (record);
          return FALSE;
        }
    }
  return TRUE;
}

/**
 * nn_plugin_record_read_file:
 * @path: a plugin file
 * @record: (out caller-allocates): its record
 * @error: return location for a #GError
 *
 * nn_plugin_record_parse() on the contents of @path. Errors do not name
 * @path.
 *
 * Returns: %TRUE on success
 */
gboolean
nn_plugin_record_read_file (const char     *path,
                            NnPluginRecord *record,
                            GError        **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *contents = NULL;
  gsize            length = 0;

  memset (record, 0, sizeof *record);
  if (!nn_read_file_limited (path, NN_PLUGIN_RECORD_MAX_FILE_SIZE, &contents, &length,
                             &local_error))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID, "cannot read it: %s",
                   local_error->message);
      return FALSE;
    }
  return nn_plugin_record_parse ((const guint8 *) contents, length, record, error);
}

/* The ELF machine of this build, where known. */
#if defined(__x86_64__)
#define NATIVE_MACHINE EM_X86_64
#elif defined(__i386__)
#define NATIVE_MACHINE EM_386
#elif defined(__aarch64__)
#define NATIVE_MACHINE EM_AARCH64
#elif defined(__arm__)
#define NATIVE_MACHINE EM_ARM
#elif defined(__powerpc64__)
#define NATIVE_MACHINE EM_PPC64
#elif defined(__s390x__)
#define NATIVE_MACHINE EM_S390
#elif defined(__riscv)
#define NATIVE_MACHINE EM_RISCV
#else
#define NATIVE_MACHINE EM_NONE
#endif

/**
 * nn_plugin_record_check:
 * @record: a record read by nn_plugin_record_parse()
 * @error: return location for a #GError
 *
 * Checks that a file of that record can be loaded into this process: built
 * for this machine, this plugin ABI and this scalar type, with an entry
 * point.
 *
 * Returns: %TRUE, or %FALSE with @error set (%NN_PLUGIN_ERROR_ABI_MISMATCH
 *   for another ABI or scalar type, %NN_PLUGIN_ERROR_INVALID otherwise)
 */
gboolean
nn_plugin_record_check (const NnPluginRecord *record,
                        GError              **error)
{
  const guint native_class = GLIB_SIZEOF_VOID_P == 8 ? ELFCLASS64 : ELFCLASS32;
  const guint native_data = G_BYTE_ORDER == G_BIG_ENDIAN ? ELFDATA2MSB : ELFDATA2LSB;

  if (record->elf_class != native_class)
    return invalid (error, "built for a %s machine, this one is %s",
                    record->elf_class == ELFCLASS64 ? "64-bit" : "32-bit",
                    native_class == ELFCLASS64 ? "64-bit" : "32-bit");
  if (record->elf_data != native_data)
    return invalid (error, "built for a %s machine, this one is %s",
                    record->elf_data == ELFDATA2MSB ? "big-endian" : "little-endian",
                    native_data == ELFDATA2MSB ? "big-endian" : "little-endian");
  if (NATIVE_MACHINE != EM_NONE && record->machine != NATIVE_MACHINE)
    return invalid (error, "built for another processor (ELF machine %u, this one is %u)",
                    record->machine, (guint) NATIVE_MACHINE);
  if (record->abi_version != NN_PLUGIN_ABI_VERSION)
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_ABI_MISMATCH,
                   "built for plugin ABI version %u, this nn needs version %u; "
                   "rebuild the plugin",
                   record->abi_version, NN_PLUGIN_ABI_VERSION);
      return FALSE;
    }
  if (record->real_size != sizeof (nn_real))
    {
      g_set_error (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_ABI_MISMATCH,
                   "built for %s scalars, this nn uses %s; rebuild the plugin",
                   record->real_size == sizeof (double)  ? "double"
                   : record->real_size == sizeof (float) ? "float"
                                                         : "unknown",
                   NN_REAL_NAME);
      return FALSE;
    }
  if (!record->has_load)
    {
      g_set_error_literal (error, NN_PLUGIN_ERROR, NN_PLUGIN_ERROR_INVALID,
                           "no g_io_module_load entry point (use NN_PLUGIN_DEFINE)");
      return FALSE;
    }
  return TRUE;
}

void
nn_plugin_record_clear (NnPluginRecord *record)
{
  g_clear_pointer (&record->names, g_strfreev);
}
