// libyaml: the event parser is used to build a node tree with line and column marks.
#include <yaml.h>
