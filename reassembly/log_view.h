// How report.html shows a log a protocol writes, as the protocol describes it in its
// ProtocolSpec (protocol.h): the section the log gets, which fields of each record the page
// keeps and how, the columns of its table, and optional extras (a table of the records
// grouped by a field, count tables for the run summary, top-N tables for "Hosts and
// services"). tools/report/ renders whatever the registered specs describe and knows no
// protocol by name; flows.jsonl and files.jsonl, which are not a protocol's, are described
// by the report itself with the same structures.
//
// Plain data (and one function per count table): no rendering here, and nothing that
// reads records; the report checks nothing beyond what is written below.
#ifndef TCPFOLLOW_REASSEMBLY_LOG_VIEW_H_
#define TCPFOLLOW_REASSEMBLY_LOG_VIEW_H_

#include <functional>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"

namespace tcpfollow {

// How the page keeps a field of each record (the tables are embedded in the page).
enum class FieldKind {
  kValue,   // the value as the record has it
  kIntern,  // strings and arrays that repeat (hosts, methods): an index into one table
  kTime,    // a time in seconds: kept relative to the run's first second, in microseconds
};

struct LogField {
  std::string name;  // the record's field ("host", "id.orig_h")
  FieldKind kind = FieldKind::kValue;
};

// How a column shows the fields it names.
enum class ColumnShow {
  kText,        // the first field that is set (arrays joined with ", ")
  kJoin,        // every field, joined with a space ("10.0.0.1 80")
  kSum,         // the fields added up, with digit groups
  kTime,        // a time, as UTC
  kConnection,  // a connection uid, linked to the connection's view
  kNumber,      // a number, right-aligned
  kCount,       // a number with digit groups ("1,234"), right-aligned
  kYes,         // "yes" when true, else nothing
  kYesNo,       // "yes" or "no"
  kObjects,     // the extracted objects whose fuids the fields hold (a fuid or arrays of
                // them): links to the files, thumbnails for embedded images
};

struct LogColumn {
  std::string title;                // the header
  std::vector<std::string> fields;  // fields of LogView::fields it shows
  ColumnShow show = ColumnShow::kText;
};

// A table of the log's records grouped by one field, shown above the records' table
// (FTP: one row per control connection with its user, commands and transfers). Its first
// column is the time of the group's first record ("ts").
struct LogGroup {
  std::string title;  // heading over the groups ("Sessions")
  std::string noun;   // what one group is, for an empty table ("ftp session")
  LogColumn key;      // the field the records are grouped by, and how it is shown
  std::vector<LogColumn> latest;  // per column: the last value its field took in the group
  std::string count_title;        // a column counting the group's records ("commands")
  std::string items_title;        // a column listing the group's records that have...
  std::string items_if;           // ...this field set ("fuid"), one line each, made of...
  std::vector<LogColumn> item;    // ...these parts; a part with a title reads "(value title)"
};

// What the report reads of a record for count tables (missing fields: "" and false).
class LogRecordFields {
 public:
  virtual ~LogRecordFields() = default;
  virtual std::string Str(absl::string_view field) const = 0;
  virtual bool Bool(absl::string_view field) const = 0;
};

// A count table in the run summary: the log's records counted by a key made from each.
struct LogCount {
  std::string title;  // "TLS sessions"
  std::function<std::string(const LogRecordFields&)> key;
};

// A top-N table in "Hosts and services": the log's records counted by one field's value,
// with a second count of those where `flag` is true.
struct LogTop {
  std::string title;        // "TLS server names"
  std::string field;        // "server_name"
  std::string field_title;  // "server name"
  std::string empty;        // shown for records without the field ("(no SNI)")
  std::string count_title;  // "sessions"
  std::string flag;         // "decrypted"
  std::string flag_title;   // "decrypted"
};

// One log's section of report.html.
struct LogView {
  std::string log;    // the log it shows ("smtp" for smtp.jsonl)
  std::string id;     // the section's HTML id (its link "#mail"); the table's is "t-<log>"
  std::string title;  // the section's heading and its link in the page's menu ("Mail")
  std::vector<LogField> fields;    // what the page keeps of each record, in this order
  std::vector<LogColumn> columns;  // the table
  std::vector<LogGroup> groups;    // tables of grouped records, above it (at most one used)
  std::string records_title;       // with a group: the heading over the records' table
  std::vector<LogCount> counts;    // in the run summary
  std::vector<LogTop> tops;        // in "Hosts and services"
};

// The columns most tables start with.
inline LogColumn TimeColumn() { return {"time (UTC)", {"ts"}, ColumnShow::kTime}; }
inline LogColumn ConnectionColumn() { return {"uid", {"uid"}, ColumnShow::kConnection}; }

}  // namespace tcpfollow

#endif  // TCPFOLLOW_REASSEMBLY_LOG_VIEW_H_
