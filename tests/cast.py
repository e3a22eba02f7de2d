"""The cast of every scenario: leadership, managers, marketers (with superiors), audit."""

from closedloop import Actor

CEO = Actor("wang.ceo", "Wang (CEO)", {"leadership"})
CFO = Actor("zhao.cfo", "Zhao (CFO)", {"leadership"})
HEAD = Actor("chen.head", "Chen (head of marketing)", {"manager"}, superior="wang.ceo")
LEAD = Actor("sun.lead", "Sun (team lead)", {"manager"}, superior="chen.head")
LI = Actor("li.marketer", "Li", {"marketer"}, superior="chen.head")
ZHOU = Actor("zhou.marketer", "Zhou", {"marketer"}, superior="sun.lead")
AUDITOR = Actor("qian.audit", "Qian (audit)", {"auditor"})
