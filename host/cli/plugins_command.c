#include "cli/plugins_command.h"

#include <assert.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/commands.h"
#include "plugin/plugin_loader.h"
#include "plugin/plugin_names.h"
#include "plugin/plugin_search.h"

static const char usage_text[] =
    "usage: pipehost plugins [--plugin-dir DIR]... [--describe NAME]\n"
    "\n"
    "List the plugins pipehost finds, or describe one.\n"
    "\n"
    "Plugins are looked for in each --plugin-dir DIR in the order given, then\n"
    "in the folders of PIPEHOST_PLUGIN_PATH (colon-separated), then among the\n"
    "plugins shipped with pipehost. Plugin NAME is the file NAME.so; when two\n"
    "folders hold it, the first one wins, as it does for `pipehost run`.\n"
    "\n"
    "Without --describe, prints one line per plugin: name, kind, version,\n"
    "description and file. Each file that is not a loadable plugin is\n"
    "reported on stderr with the reason, and so is a file hidden by one of\n"
    "the same name in an earlier folder.\n"
    "\n"
    "  --plugin-dir DIR  look in DIR first (repeatable; relative to the\n"
    "                    current folder)\n"
    "  --describe NAME   print plugin NAME: kind, version, file, and its\n"
    "                    configuration schema (name, type, required or\n"
    "                    default, description)\n"
    "  -h, --help        print this help\n"
    "\n"
    "Exit status: 0 when every plugin file found loads (and there is at\n"
    "least one) or NAME was described; 1 when some file was refused or no\n"
    "plugin was found; 2 on a usage error, a --plugin-dir that does not\n"
    "exist, or a NAME that is not found or is refused.\n";

typedef struct plugins_options {
    const char **plugin_dirs;
    size_t plugin_dir_count;
    const char *describe;
    int help;
} plugins_options;

/* One NAME.so met while listing. plugin is NULL when it was refused. */
typedef struct listed_file {
    char *stem;
    char *path;
    loaded_plugin *plugin;
} listed_file;

typedef struct listing {
    listed_file *files;
    size_t count;
    size_t capacity;
    int problems; /* files refused or unreadable folders */
} listing;

static int usage_error(const char *fmt, ...) PH_PRINTF(1, 2);

static int usage_error(const char *fmt, ...)
{
    va_list ap;

    fputs("pipehost plugins: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nTry 'pipehost plugins --help'.\n", stderr);
    return EXIT_USAGE;
}

/* The value of option name at argv[*i]: "--name=VALUE" or "--name VALUE".
 * NULL when argv[*i] is another option; *missing when the value is. */
static const char *option_value(int argc, char **argv, int *i, const char *name, int *missing)
{
    size_t length = strlen(name);
    const char *arg = argv[*i];

    if (strncmp(arg, name, length) != 0)
        return NULL;
    if (arg[length] == '=')
        return arg + length + 1;
    if (arg[length] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = 1;
        return NULL;
    }
    return argv[++*i];
}

static int parse_options(int argc, char **argv, plugins_options *options)
{
    memset(options, 0, sizeof(*options));
    options->plugin_dirs = calloc((size_t)argc, sizeof(*options->plugin_dirs));
    if (options->plugin_dirs == NULL) {
        fprintf(stderr, "pipehost plugins: out of memory\n");
        return EXIT_FAILURE;
    }
    for (int i = 1; i < argc; i++) {
        int missing = 0;
        const char *value;

        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            options->help = 1;
        } else if ((value = option_value(argc, argv, &i, "--plugin-dir", &missing)) != NULL) {
            options->plugin_dirs[options->plugin_dir_count++] = value;
        } else if ((value = option_value(argc, argv, &i, "--describe", &missing)) != NULL) {
            if (options->describe != NULL)
                return usage_error("--describe given twice");
            options->describe = value;
        } else if (missing) {
            return usage_error("%s needs a value", argv[i]);
        } else {
            return usage_error("unexpected argument '%s'", argv[i]);
        }
    }
    return 0;
}

#define TABLE_MAX_COLUMNS 5

/*
 * Print rows of cells (row-major, the first row a heading) in columns two
 * spaces apart; the last column is not padded.
 */
static void print_table(const char *indent, const char *const *cells, size_t rows,
                        size_t columns)
{
    size_t widths[TABLE_MAX_COLUMNS] = {0};

    assert(columns <= TABLE_MAX_COLUMNS);
    for (size_t r = 0; r < rows; r++) {
        for (size_t c = 0; c < columns; c++) {
            size_t width = strlen(cells[r * columns + c]);

            if (width > widths[c])
                widths[c] = width;
        }
    }
    for (size_t r = 0; r < rows; r++) {
        fputs(indent, stdout);
        for (size_t c = 0; c + 1 < columns; c++)
            printf("%-*s  ", (int)widths[c], cells[r * columns + c]);
        printf("%s\n", cells[r * columns + columns - 1]);
    }
}

static const char *or_dash(const char *text)
{
    return text != NULL && text[0] != '\0' ? text : "-";
}

static void print_search_path(FILE *out, const plugin_search_path *search)
{
    if (search->count == 0) {
        fputs("no plugin folders (use --plugin-dir or PIPEHOST_PLUGIN_PATH)", out);
        return;
    }
    for (size_t i = 0; i < search->count; i++)
        fprintf(out, "%s%s", i > 0 ? ", " : "", search->dirs[i]);
}

/* ---- listing ------------------------------------------------------------ */

static int is_plugin_file_name(const struct dirent *entry)
{
    size_t length = strlen(entry->d_name);

    return length > 3 && strcmp(entry->d_name + length - 3, ".so") == 0;
}

static const listed_file *listing_find_stem(const listing *list, const char *stem)
{
    for (size_t i = 0; i < list->count; i++) {
        if (strcmp(list->files[i].stem, stem) == 0)
            return &list->files[i];
    }
    return NULL;
}

/* Take ownership of stem and path. 0, or -1 out of memory (both freed). */
static int listing_add(listing *list, char *stem, char *path, loaded_plugin *plugin)
{
    if (list->count == list->capacity) {
        size_t capacity = list->capacity > 0 ? list->capacity * 2 : 16;
        listed_file *grown = realloc(list->files, capacity * sizeof(*grown));

        if (grown == NULL) {
            free(stem);
            free(path);
            plugin_unload(plugin);
            return -1;
        }
        list->files = grown;
        list->capacity = capacity;
    }
    list->files[list->count++] = (listed_file){.stem = stem, .path = path, .plugin = plugin};
    return 0;
}

static void listing_free(listing *list)
{
    for (size_t i = 0; i < list->count; i++) {
        free(list->files[i].stem);
        free(list->files[i].path);
        plugin_unload(list->files[i].plugin);
    }
    free(list->files);
}

/* Load one NAME.so of a folder into the listing, or say on stderr why it
 * is not there. 0, or -1 out of memory. */
static int list_file(listing *list, const char *dir, const char *file_name)
{
    char err[1024];
    struct stat st;
    const listed_file *earlier;
    loaded_plugin *plugin;
    char *stem = strndup(file_name, strlen(file_name) - 3);
    char *path = NULL;

    if (stem == NULL || asprintf(&path, "%s/%s", dir, file_name) < 0) {
        free(stem);
        return -1;
    }
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(stem);
        free(path);
        return 0;
    }
    if (!plugin_name_is_valid(stem)) {
        fprintf(stderr, "%s: \"%s\" is not a plugin name (letters, digits, '_' and '-')\n",
                path, stem);
        list->problems++;
        free(stem);
        free(path);
        return 0;
    }
    earlier = listing_find_stem(list, stem);
    if (earlier != NULL) {
        fprintf(stderr, "%s: hidden by %s\n", path, earlier->path);
        free(stem);
        free(path);
        return 0;
    }
    plugin = plugin_load(path, err, sizeof(err));
    if (plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        list->problems++;
    } else if (strcmp(plugin->name, stem) != 0) {
        fprintf(stderr, "%s: declares the name \"%s\", but pipelines find it as \"%s\"\n",
                path, plugin->name, stem);
    }
    /* A refused file stays in the listing (plugin NULL): it still hides
     * files of its name in later folders. */
    return listing_add(list, stem, path, plugin);
}

static int list_folder(listing *list, const char *dir)
{
    struct dirent **entries;
    int count = scandir(dir, &entries, is_plugin_file_name, alphasort);
    int result = 0;

    if (count < 0) {
        fprintf(stderr, "pipehost plugins: cannot read %s: %s\n", dir, strerror(errno));
        list->problems++;
        return 0;
    }
    for (int i = 0; i < count; i++) {
        if (result == 0)
            result = list_file(list, dir, entries[i]->d_name);
        free(entries[i]);
    }
    free(entries);
    return result;
}

/* 0, or -1 out of memory. */
static int print_listing(const listing *list, size_t loaded)
{
    const size_t columns = 5;
    const char **cells = calloc((loaded + 1) * columns, sizeof(*cells));
    const char **cell = cells;

    if (cells == NULL)
        return -1;
    *cell++ = "NAME";
    *cell++ = "KIND";
    *cell++ = "VERSION";
    *cell++ = "DESCRIPTION";
    *cell++ = "PATH";
    for (size_t i = 0; i < list->count; i++) {
        const loaded_plugin *plugin = list->files[i].plugin;

        if (plugin == NULL)
            continue;
        *cell++ = plugin->name;
        *cell++ = plugin_kind_name((int)plugin->descriptor->kind);
        *cell++ = or_dash(plugin->descriptor->version);
        *cell++ = or_dash(plugin->descriptor->description);
        /* Where it was found, symlink or not: that is what the user put in
         * a plugin folder. */
        *cell++ = list->files[i].path;
    }
    print_table("", cells, loaded + 1, columns);
    free(cells);
    return 0;
}

static int list_plugins(const plugin_search_path *search)
{
    listing list = {0};
    size_t loaded = 0;
    int status;

    for (size_t i = 0; i < search->count; i++) {
        if (list_folder(&list, search->dirs[i]) != 0)
            goto out_of_memory;
    }
    for (size_t i = 0; i < list.count; i++)
        loaded += list.files[i].plugin != NULL;

    if (loaded > 0 && print_listing(&list, loaded) != 0)
        goto out_of_memory;
    if (list.count == 0) {
        fputs("pipehost plugins: no plugins found in: ", stderr);
        print_search_path(stderr, search);
        fputc('\n', stderr);
    }
    status = loaded > 0 && list.problems == 0 ? 0 : EXIT_FAILURE;
    listing_free(&list);
    return status;

out_of_memory:
    fprintf(stderr, "pipehost plugins: out of memory\n");
    listing_free(&list);
    return EXIT_FAILURE;
}

/* ---- describing one ----------------------------------------------------- */

/* path: where the plugin was found (plugin->path has symlinks resolved). */
static void print_identity(const loaded_plugin *plugin, const char *path)
{
    const ph_descriptor *descriptor = plugin->descriptor;
    const char *cells[] = {
        "name:",        plugin->name,
        "kind:",        plugin_kind_name((int)descriptor->kind),
        "version:",     or_dash(descriptor->version),
        "description:", or_dash(descriptor->description),
        "path:",        path,
    };

    print_table("", cells, sizeof(cells) / sizeof(cells[0]) / 2, 2);
}

/* 0, or -1 out of memory. */
static int print_schema(const ph_descriptor *descriptor)
{
    const size_t columns = 4;
    size_t rows = descriptor->config_field_count + 1;
    const char **cells;

    if (descriptor->config_field_count == 0) {
        printf("\nconfig: none\n");
        return 0;
    }
    cells = calloc(rows * columns, sizeof(*cells));
    if (cells == NULL)
        return -1;
    cells[0] = "NAME";
    cells[1] = "TYPE";
    cells[2] = "DEFAULT";
    cells[3] = "DESCRIPTION";
    for (size_t i = 0; i < descriptor->config_field_count; i++) {
        const ph_config_field *field = &descriptor->config_fields[i];
        const char **row = &cells[(i + 1) * columns];

        row[0] = field->name;
        row[1] = plugin_config_type_name((int)field->type);
        row[2] = field->required ? "required" : or_dash(field->default_value);
        row[3] = or_dash(field->description);
    }
    printf("\nconfig:\n");
    print_table("  ", cells, rows, columns);
    free(cells);
    return 0;
}

static int describe_plugin(const plugin_search_path *search, const char *name)
{
    char err[1024];
    char *path;
    loaded_plugin *plugin;
    int status = 0;

    if (!plugin_name_is_valid(name)) {
        fprintf(stderr,
                "pipehost plugins: \"%s\" is not a plugin name (letters, digits, '_' and '-')\n",
                name);
        return EXIT_USAGE;
    }
    path = plugin_search_find(search, name);
    if (path == NULL) {
        fprintf(stderr, "pipehost plugins: plugin \"%s\" not found in: ", name);
        print_search_path(stderr, search);
        fputc('\n', stderr);
        return EXIT_USAGE;
    }
    plugin = plugin_load(path, err, sizeof(err));
    if (plugin == NULL) {
        fprintf(stderr, "%s\n", err);
        free(path);
        return EXIT_USAGE;
    }
    print_identity(plugin, path);
    if (print_schema(plugin->descriptor) != 0) {
        fprintf(stderr, "pipehost plugins: out of memory\n");
        status = EXIT_FAILURE;
    }
    plugin_unload(plugin);
    free(path);
    return status;
}

int plugins_command(int argc, char **argv)
{
    plugins_options options;
    plugin_search_path search;
    char err[1024];
    int status;

    status = parse_options(argc, argv, &options);
    if (status != 0 || options.help) {
        if (status == 0)
            fputs(usage_text, stdout);
        free(options.plugin_dirs);
        return status;
    }
    if (plugin_search_path_init(&search, options.plugin_dirs, options.plugin_dir_count, NULL,
                                err, sizeof(err)) != 0) {
        fprintf(stderr, "pipehost plugins: %s\n", err);
        free(options.plugin_dirs);
        return EXIT_USAGE;
    }
    if (options.describe != NULL)
        status = describe_plugin(&search, options.describe);
    else
        status = list_plugins(&search);
    plugin_search_path_free(&search);
    free(options.plugin_dirs);
    return status;
}
