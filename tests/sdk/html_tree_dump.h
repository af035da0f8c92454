// A canonical text form of a libxml2 document tree, for comparing the SDK's
// tree builder with libxml2's parser (html_tree_builder_test.cpp and the
// html_tree fuzz target). It also checks the links every node must keep.
// And libxml2 as the reference for the SDK's other stand-ins: its parser
// (ParseWithLibxml2) and its XPath engine (Libxml2XPath).
#ifndef NEWSHOUND_TESTS_SDK_HTML_TREE_DUMP_H_
#define NEWSHOUND_TESTS_SDK_HTML_TREE_DUMP_H_

#include <libxml/HTMLparser.h>
#include <libxml/tree.h>
#include <libxml/valid.h>
#include <libxml/xpath.h>

#include <climits>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

namespace newshound::testing {

inline const char* Str(const xmlChar* text) { return text == nullptr ? "(null)" : reinterpret_cast<const char*>(text); }

// One line per node: its depth, kind, name and content; attributes with
// their value and whether libxml2 registered them as an ID. Line numbers
// and the document's URL are left out: they are not part of the tree.
inline void DumpChildren(const xmlNode* parent, int depth, std::string& out) {
  const xmlNode* previous = nullptr;
  for (const xmlNode* node = parent->children; node != nullptr; node = node->next) {
    if (node->parent != parent || node->prev != previous || node->doc != parent->doc) out += "BROKEN LINKS\n";
    previous = node;
    out.append(static_cast<size_t>(depth) * 2, ' ');
    switch (node->type) {
      case XML_ELEMENT_NODE:
        out += "<";
        out += Str(node->name);
        out += ">";
        for (const xmlAttr* attr = node->properties; attr != nullptr; attr = attr->next) {
          if (attr->parent != node) out += " BROKEN-ATTR";
          out += " ";
          out += Str(attr->name);
          if (attr->children != nullptr) {
            const xmlNode* value = attr->children;
            if (value->type != XML_TEXT_NODE || value->next != nullptr || attr->last != value ||
                value->parent != reinterpret_cast<const xmlNode*>(attr)) {
              out += "(BROKEN-VALUE)";
            }
            out += "=\"";
            out += Str(value->content);
            out += "\"";
          }
          if (attr->atype == XML_ATTRIBUTE_ID) out += "[id]";
        }
        out += "\n";
        DumpChildren(node, depth + 1, out);
        break;
      case XML_TEXT_NODE:
        out += "text \"";
        out += Str(node->content);
        out += "\"\n";
        break;
      case XML_CDATA_SECTION_NODE:
        out += "cdata \"";
        out += Str(node->content);
        out += "\"\n";
        break;
      case XML_COMMENT_NODE:
        out += "comment \"";
        out += Str(node->content);
        out += "\"\n";
        break;
      case XML_DTD_NODE: {
        const auto* dtd = reinterpret_cast<const xmlDtd*>(node);
        out += "doctype ";
        out += Str(dtd->name);
        out += " \"";
        out += Str(dtd->ExternalID);
        out += "\" \"";
        out += Str(dtd->SystemID);
        out += "\"";
        if (node->doc->intSubset != dtd) out += " (not the internal subset)";
        out += "\n";
        break;
      }
      default:
        out += "node of type " + std::to_string(node->type) + "\n";
        break;
    }
  }
  if (parent->last != previous) out += "BROKEN LAST\n";
}

inline std::string DumpTree(const xmlDoc* doc) {
  if (doc == nullptr) return "(no document)";
  std::string out = doc->type == XML_HTML_DOCUMENT_NODE ? "html document\n" : "other document\n";
  DumpChildren(reinterpret_cast<const xmlNode*>(doc), 0, out);
  return out;
}

// What Document::Parse asked libxml2 for before the SDK had its own builder.
inline xmlDoc* ParseWithLibxml2(std::string_view html, const char* url) {
  return htmlReadMemory(
      html.data(), static_cast<int>(html.size() > INT_MAX ? INT_MAX : html.size()), url, "UTF-8",
      HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET | HTML_PARSE_COMPACT);
}

// A test page's bytes.
inline std::string ReadPage(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// The nodes libxml2's XPath engine selects with `context` as the context
// node, the expression as written; nothing when it is not a node set.
inline std::vector<xmlNode*> Libxml2XPath(xmlDoc* doc, xmlNode* context, const std::string& xpath) {
  std::vector<xmlNode*> nodes;
  xmlXPathContext* ctx = xmlXPathNewContext(doc);
  if (ctx == nullptr) return nodes;
  ctx->node = context;
  xmlXPathObject* result = xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath.c_str()), ctx);
  if (result != nullptr && result->type == XPATH_NODESET && result->nodesetval != nullptr) {
    for (int i = 0; i < result->nodesetval->nodeNr; ++i) nodes.push_back(result->nodesetval->nodeTab[i]);
  }
  xmlXPathFreeObject(result);
  xmlXPathFreeContext(ctx);
  return nodes;
}

}  // namespace newshound::testing

#endif  // NEWSHOUND_TESTS_SDK_HTML_TREE_DUMP_H_
