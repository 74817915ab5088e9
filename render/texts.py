"""Every user-facing Chinese string of the Telegram side (one place to edit or translate).

Strings that contain HTML are HTML already; `{}` fields are filled with escaped values.
"""

from __future__ import annotations

# Questions offered on /start, in "no answer" replies and by the console.
EXAMPLE_QUESTIONS: tuple[str, ...] = (
    "京东方青岛项目总投资多少？",
    "西海岸新区一季度集中开工了多少个项目？",
    "青岛开发区综合排名第几？",
    "贝卡尔特增资多少？",
)

# Command menus (setMyCommands): private chats get everything, groups the shared commands.
MENU_PRIVATE: tuple[tuple[str, str], ...] = (
    ("start", "开始使用 · 示例问题"),
    ("ask", "提问，如 /ask 京东方青岛项目总投资多少"),
    ("targets", "各地区的目标与计划，可加地区名"),
    ("projects", "重大项目及投资额，可加关键词"),
    ("search", "按关键词查找原文句子"),
    ("sources", "已收录的新闻文档"),
    ("source", "查看一篇文档的摘要：/source 1"),
    ("help", "使用说明"),
)
MENU_GROUP: tuple[tuple[str, str], ...] = (
    ("ask", "提问，如 /ask 京东方青岛项目总投资多少"),
    ("targets", "各地区的目标与计划"),
    ("projects", "重大项目及投资额"),
    ("search", "按关键词查找原文句子"),
    ("sources", "已收录的新闻文档"),
    ("help", "使用说明"),
)

WELCOME = (
    "你好，{name}！我是<b>开发区新闻助手</b>。\n\n"
    "我从开发区、新区的新闻报道里摘出数字和目标，回答你的问题，"
    "每个数字都附上原文句子和出处，不会编造数据。\n\n"
    "直接发一个问题给我就行，或者点下面的示例："
)
HELP = (
    "<b>怎么用</b>\n"
    "直接发送问题，例如：<i>京东方青岛项目总投资多少？</i>\n"
    "在群里请用 /ask 问题、@我 或回复我的消息。\n\n"
    "<b>命令</b>\n"
    "/ask 问题 — 提问\n"
    "/targets [地区] — 各地区的目标与计划\n"
    "/projects [关键词] — 重大项目，按投资额从大到小\n"
    "/search 关键词 — 查找包含关键词的原文句子\n"
    "/sources — 已收录的文档；/source 编号 — 一篇文档的摘要和关键数据\n"
    "/track 地区 指标 — 历年目标与实际对比（附图）；/compare 指标 地区… — 各地区对比\n"
    "/export [地区] [指标] — 导出目标与实际数据（CSV）\n"
    "/subscribe [时:分] [关键词…] — 订阅每日简报；/unsubscribe — 退订\n"
    "/settings — 简报的时间、关键词和时区；/digest — 现在预览今天的简报\n"
    "/help — 本说明\n\n"
    "<b>行内模式</b>\n"
    "在任何聊天里输入 <code>@{bot} 京东方</code>，选一条答案发出去。"
)

# Answers
ANSWER_SOURCE = "来源：{source}"
ANSWER_PAGE = "第 {page}/{total} 条答案"
NO_ANSWER = (
    "没有找到「{question}」的可靠答案。为免误导，我不会给出没有出处的数字。"
)
NO_ANSWER_SUGGEST = "你是不是想找：{names}"
NO_ANSWER_MISSING = "资料里没有{place}{period}的{measure}。"
NO_ANSWER_MEASURE = "这个指标"
NO_ANSWER_EXAMPLES = "可以这样问："
NO_ANSWER_HINT = "也可以用 /search 关键词 查原文，或用 /sources 看看收录了哪些文档。"
PARAGRAPH_HEADER = "<b>原文段落</b>"
PARAGRAPH_MISSING = "这段原文已不在库中。"
PARAGRAPH_SENT_PRIVATELY = "原文段落已私信发给你。"
QUESTION_TOO_LONG = "问题太长了（{length} 字）。请把问题控制在 {limit} 字以内，只问一件事。"
ASK_USAGE = "用法：/ask 问题\n例如：/ask 京东方青岛项目总投资多少？"
GROUP_ASK_HINT = "请在 @{bot} 后面写上问题，或用 /ask 问题。"
NOT_TEXT = "我只能读懂文字问题。请直接打字提问，例如：京东方青岛项目总投资多少？"
EXPIRED = "这个按钮已过期，请重新提问。"

# Buttons
BUTTON_PARAGRAPH = "原文段落"
BUTTON_MORE = "更多答案 ▶"
BUTTON_BACK = "◀ 上一条"
BUTTON_NEXT_PAGE = "下一页 ▶"
BUTTON_PREV_PAGE = "◀ 上一页"
BUTTON_SEARCH = "🔎 {name}"

# Lists
PAGE = "第 {page}/{total} 页"
TARGETS_TITLE = "<b>🎯 目标与计划</b>"
TARGETS_TITLE_REGION = "<b>🎯 {region}的目标与计划</b>"
TARGETS_NONE = "没有找到「{region}」的目标或计划。"
TARGETS_KNOWN = "已收录的地区：{regions}"
TARGETS_EMPTY = "还没有收录任何目标或计划。"
PROJECTS_TITLE = "<b>🏗 重大项目（按投资额）</b>"
PROJECTS_TITLE_KEYWORD = "<b>🏗 与「{keyword}」有关的项目（按投资额）</b>"
PROJECTS_NONE = "没有找到与「{keyword}」有关的项目投资。"
PROJECTS_EMPTY = "还没有收录任何项目投资数据。"
SEARCH_TITLE = "<b>🔎 「{keyword}」</b>共找到 {count} 句"
SEARCH_NONE = "没有找到包含「{keyword}」的句子。"
SEARCH_USAGE = "用法：/search 关键词\n例如：/search 京东方"
KEYWORD_TOO_LONG = "关键词太长了，请控制在 {limit} 字以内。"

# Sources
SOURCES_TITLE = "<b>📚 已收录的文档</b>（共 {count} 篇）"
SOURCES_EMPTY = "还没有收录任何文档。"
SOURCES_FOOTER = "发送 /source 编号 查看一篇文档的摘要和关键数据。"
SOURCE_LINE = "{regions} · {date} · {facts} 条数据"
SOURCE_USAGE = "用法：/source 编号（编号见 /sources），例如：/source 1"
SOURCE_NOT_FOUND = "没有编号为 {number} 的文档。用 /sources 查看已收录的文档（编号 {first}–{last}）。"
SOURCE_REGIONS = "地区：{regions}"
SOURCE_DATE = "日期：{date}"
SOURCE_AUTHORS = "作者：{authors}"
SOURCE_FILE = "文件：{name}"
SOURCE_COUNTS = "共 {sentences} 句，提取数据 {facts} 条"
SOURCE_KEY_FACTS = "<b>关键数据</b>"
SOURCE_NO_FACTS = "这篇文档里没有提取到数据。"
UNKNOWN_DATE = "日期不详"
UNKNOWN_REGION = "地区不详"
UNKNOWN_SOURCE = "来源不详"
UNTITLED = "无标题"
WEEKDAYS = "一二三四五六日"
TARGET_MARK = "（目标）"

# Commands and errors
UNKNOWN_COMMAND = (
    "没有 {command} 这个命令。可用的命令：/ask /targets /projects /search /sources /source "
    "/subscribe /unsubscribe /settings /digest /track /compare /export /help"
)
ERROR = "抱歉，处理这条消息时出错了，请稍后再试。"
ERROR_SHORT = "出错了，请稍后再试。"

# Admin uploads
UPLOAD_NOT_ADMIN = "只有管理员可以上传文档。"
UPLOAD_BAD_TYPE = "请上传文本（.txt/.md，UTF-8 或 GB18030 编码）、网页（.html）、PDF 或 Word（.docx）文件。"
UPLOAD_TOO_BIG = "文件太大（{size} KB），上限是 {limit} KB。"
UPLOAD_TOO_BIG_UNKNOWN = "文件太大，上限是 {limit} KB。"
UPLOAD_DONE = "已收录《{title}》：{sentences} 句，{facts} 条数据（编号 {number}）。"
UPLOAD_UNCHANGED = "这篇文档已经收录过了，内容没有变化。"
UPLOAD_REFUSED = "没有收录 {name}：{reason}"
UPLOAD_SAME_NAME = "已有同名文档（编号 {old}），这篇作为新文档收录为 {name}。如果它是原文档的新版本，可以替换原文档。"
UPLOAD_REPLACED = "已替换：原文档 {old} 已删除，新文档（编号 {new}）沿用原来的文件名。"
UPLOAD_REPLACE_GONE = "无法替换：文档 {old} 或 {new} 已不存在。"
BUTTON_REPLACE = "替换原文档"

# Inline mode
INLINE_HELP_BUTTON = "怎么提问？"
INLINE_NO_ANSWER_TITLE = "没有找到可靠答案"
INLINE_NO_ANSWER_TEXT = "没有找到「{question}」的可靠答案。"

ELLIPSIS = "…"

# push — daily digests, subscriptions and announcements (issue C; handlers/push.py)
PUSH_MENU: tuple[tuple[str, str, bool], ...] = (  # command, description, also in groups
    ("subscribe", "订阅每日简报，如 /subscribe 08:30 港口", True),
    ("unsubscribe", "退订每日简报", True),
    ("settings", "查看和修改简报设置", True),
    ("timezone", "设置时区，如 /timezone Asia/Shanghai", True),
    ("digest", "现在预览今天的简报", True),
)
PUSH_SUBSCRIBED = (
    "✅ 已订阅每日简报：每天 <b>{time}</b>（{zone}），主题：{topics}。\n"
    "下一次推送：{next}。\n/settings 修改设置，/unsubscribe 退订。"
)
PUSH_UNSUBSCRIBED = "已退订每日简报。随时可以用 /subscribe 重新订阅，原来的设置会保留。"
PUSH_NOT_SUBSCRIBED = "这个聊天还没有订阅每日简报。发送 /subscribe 订阅，例如：/subscribe 08:30 港口"
PUSH_ALL_TOPICS = "全部"
PUSH_BAD_TIME = "时间格式不对：「{value}」。请用 24 小时制 时:分，例如 /subscribe 08:30"
PUSH_TOO_MANY_TOPICS = "主题太多了：最多 {limit} 个关键词，每个不超过 {length} 个字。"
PUSH_ADMINS_ONLY = "只有群管理员可以修改这个群的订阅。"
PUSH_ADMINS_ONLY_SHORT = "只有群管理员可以修改订阅"
PUSH_TIMEZONE_USAGE = (
    "用法：/timezone 地区/城市，例如 /timezone Asia/Shanghai、/timezone Asia/Hong_Kong、"
    "/timezone Europe/London。当前时区：{zone}"
)
PUSH_TIMEZONE_UNKNOWN = "不认识的时区「{value}」。请用 IANA 时区名，例如 Asia/Shanghai、America/New_York。"
PUSH_TIMEZONE_SET = "时区已改为 {zone}。下一次推送：{next}。"
PUSH_SETTINGS = (
    "<b>📰 每日简报设置</b>\n"
    "状态：{status}\n"
    "时间：每天 {time}\n"
    "时区：{zone}\n"
    "主题：{topics}\n"
    "{next_line}\n"
    "命令：/subscribe 时:分 关键词…，/timezone 地区/城市，/digest 预览"
)
PUSH_STATUS_ON = "✅ 已订阅"
PUSH_STATUS_OFF = "⏸ 未订阅"
PUSH_NEXT_LINE = "下一次推送：{next}"
PUSH_NEXT_NONE = "订阅后每天按时推送。"
PUSH_BUTTON_CLEAR_TOPICS = "清除主题"
PUSH_BUTTON_SUBSCRIBE = "✅ 订阅"
PUSH_BUTTON_UNSUBSCRIBE = "⏸ 退订"
PUSH_BUTTON_PREVIEW = "👀 预览"
PUSH_CHANGED = "已更新"
PUSH_PREVIEW_NOTE = "<i>预览：以下是现在推送的样子，不计入每日推送。</i>"
PUSH_ANNOUNCE_USAGE = "用法：/announce 公告内容（会发到所有公告群组和频道）"
PUSH_ANNOUNCE_ADMINS_ONLY = "只有机器人管理员可以发布公告。"
PUSH_ANNOUNCE_NO_CHATS = "还没有配置公告群组或频道（ANNOUNCE_CHAT_IDS），公告没有发出。"
PUSH_ANNOUNCE_TOO_LONG = "公告太长了（{length} 字），上限约 {limit} 字。"
PUSH_ANNOUNCE_DONE = "📢 已发到 {sent}/{total} 个公告群组或频道。"
PUSH_ANNOUNCE_FAILED = "有 {failed} 个没有发出，详见日志。"
PUSH_TIMEZONE_PRESETS: tuple[tuple[str, str], ...] = (
    ("北京", "Asia/Shanghai"),
    ("香港", "Asia/Hong_Kong"),
    ("台北", "Asia/Taipei"),
    ("东京", "Asia/Tokyo"),
    ("新加坡", "Asia/Singapore"),
    ("伦敦", "Europe/London"),
    ("纽约", "America/New_York"),
    ("UTC", "UTC"),
)
PUSH_TIME_PRESETS: tuple[str, ...] = ("07:00", "08:00", "09:00", "12:00", "18:00", "21:00")

# track — targets against results, comparisons and CSV export (issue J; handlers/track.py)
TRACK_MENU: tuple[tuple[str, str, bool], ...] = (  # command, description, also in groups
    ("track", "目标与实际对比，如 /track 全国 GDP增长", True),
    ("compare", "各地区比一个指标，如 /compare 城镇新增就业 全国 山东", True),
    ("export", "导出目标与实际数据（CSV）", True),
)
TRACK_USAGE = (
    "用法：/track 地区 指标\n例如：/track 全国 国内生产总值增长\n"
    "只写地区（如 /track 全国）会列出这个地区可跟踪的指标。"
)
TRACK_TITLE = "<b>📈 {place} · {metric}</b>"
TRACK_TITLE_GROWTH = "<b>📈 {place} · {metric}（增速）</b>"
TRACK_YEAR = "<b>{year}</b>　目标 {target} → 实际 {result}　{status}"
TRACK_NONE_VALUE = "—"
TRACK_TARGET_SOURCE = "　🎯 「{sentence}」 — {source}"
TRACK_RESULT_SOURCE = "　📊 「{sentence}」 — {source}"
TRACK_STATUS: dict[str, str] = {
    "met": "✅ 完成",
    "missed": "❌ 未完成",
    "pending": "⏳ 尚无结果",
    "unknown": "❔ 无法判断",
}
TRACK_LEGEND = "目标来自当年的报告，实际来自下一年的报告。单位不同或目标没有说明方向时无法判断。"
TRACK_UNKNOWN_PLACE = "没有找到地区「{place}」的数据。"
TRACK_UNKNOWN_METRIC = "不认识指标「{metric}」。"
TRACK_NO_DATA = "{place}没有「{metric}」的目标或实际数据。"
TRACK_CHOOSE_PLACE = "你是不是想找这些地区："
TRACK_CHOOSE_METRIC = "{place}可跟踪的指标（点一下查看）："
TRACK_NO_METRICS = "{place}还没有可跟踪的目标或实际数据。"
TRACK_CAPTION = "{place} · {metric}：目标（斜线）与实际（绿色完成，红色未完成）"
CHART_TARGET = "目标"
CHART_RESULT = "实际"
CHART_SOURCE = "来源："
CHART_NO_VALUE = "无数据"
COMPARE_USAGE = (
    "用法：/compare 指标 地区1 地区2 …\n例如：/compare 城镇新增就业 全国 山东"
)
COMPARE_TITLE = "<b>📊 {metric} · {year}</b>"
COMPARE_CHART_TITLE = "{metric} · {year}"
COMPARE_ROW = "{place}：<b>{value}</b>{mark}"
COMPARE_ROW_NONE = "{place}：无数据"
COMPARE_TARGET_MARK = "（目标）"
COMPARE_SOURCE = "　「{sentence}」 — {source}"
COMPARE_UNKNOWN_PLACES = "没有找到这些地区的数据：{places}。已收录的地区有：{known}"
COMPARE_NO_DATA = "所选地区都没有「{metric}」的数据。"
EXPORT_USAGE_HINT = "用法：/export [地区] [指标]，例如 /export 全国 城镇新增就业；不加参数导出全部。"
EXPORT_CAPTION = "目标与实际数据 {count} 条（CSV，UTF-8）。"
EXPORT_NONE = "没有可导出的目标或实际数据。"
EXPORT_TOO_BIG = "共 {count} 条数据，文件超过 Telegram 的 50 MB 上限。请按地区或指标缩小范围。"
EXPORT_FILE = "targets-results.csv"

# --- digests and announcements (render/digest.py) ---------------------------------------------
DIGEST_TITLE = "<b>📰 开发区新闻简报 · {date}</b>"
DIGEST_DATE = "{year}年{month}月{day}日（周{weekday}）"
DIGEST_TOPICS = "主题：{topics}"
DIGEST_FOOTER = "直接发问即可追问，例如「西海岸新区GDP是多少」。/settings 修改订阅"
DIGEST_NEW_DOCUMENTS = "<b>新文章</b>"
DIGEST_ROTATION = "<b>数据与目标回顾</b>"
DIGEST_EMPTY_TOPICS = "暂无与所选主题相关的新内容。"
DIGEST_EMPTY = "暂无可推送的内容。"
DIGEST_OUTCOME = "📈 {year}年 {place} {metric}：目标 <b>{target}</b> → 实际 <b>{result}</b> {status}"
DIGEST_OUTCOME_STATUS = {"met": "✅ 完成", "missed": "❌ 未完成", "unknown": "❔ 无法判断"}
ANNOUNCE_TITLE = "📢 <b>新文章：{title}</b>"
ANNOUNCE_REGIONS = "地区：{regions}"
ANNOUNCE_DATE = "日期：{date}"
ANNOUNCE_FOOTER = "点下方按钮向机器人提问这篇文章。"
ANNOUNCE_ASK_BUTTON = "🔎 向机器人提问这篇文章"
ANNOUNCE_FIGURES = "<b>关键数据</b>"
ANNOUNCE_TARGETS = "<b>目标</b>"
ANNOUNCE_BATCH_TITLE = "📢 <b>新收录 {count} 篇文章</b>"
ANNOUNCE_BATCH_FOOTER = "发送 /sources 查看全部文章，点标题向机器人提问。"
ANNOUNCE_BATCH_MORE = "……另有 {count} 篇"
ANNOUNCE_TEXT = "📢 <b>公告</b>\n\n{text}"

# --- feeds and URLs (handlers/feeds.py) -----------------------------------------------------------
FEEDS_NOT_ADMIN = "只有管理员可以管理订阅源。"
FEEDS_EMPTY = "还没有订阅源。用 /addfeed 链接 [名称] 添加一个 RSS 或 Atom 订阅源。"
FEEDS_HEADER = "<b>订阅源</b>（{count} 个）"
FEED_LINE = "{id}. {name} — 每 {interval} 分钟 · {state}\n{url}"
FEED_STATE_NEW = "尚未抓取"
FEED_STATE_PAUSED = "已暂停（{error}）"
FEED_STATE_FAILED = "上次失败：{error}"
FEED_STATE_OK = "正常"
FEED_ADD_USAGE = "用法：/addfeed 链接 [名称]，例如 /addfeed https://example.com/rss.xml 园区新闻"
FEED_ADDED = "已添加订阅源 {id}：{name}\n每 {interval} 分钟抓取一次，新文章会自动收录并发布。"
FEED_ADD_FAILED = "没有添加：{reason}"
FEED_RM_USAGE = "用法：/rmfeed 编号（编号见 /feeds）"
FEED_REMOVED = "已删除订阅源 {id}：{name}（已收录的文章保留）。"
FEED_NOT_FOUND = "没有编号为 {id} 的订阅源。"
FEED_PAUSED_NOTICE = "订阅源 {id}（{name}）连续 {failures} 次抓取失败，已暂停：{reason}"
URL_FETCHING = "正在抓取 {url} …"
