#!/usr/bin/env python3
"""Seeded, deterministic generator of a WooCommerce-shaped MariaDB database.

Usage:
  scripts/gen_shop.py [connection] [--database shop] [--prefix wp_]
                      [--orders 10000] [--products N] [--customers N]
                      [--seed 1] [--reset]
  scripts/gen_shop.py [connection] --database shop --mutate-hour --seed S

Connection options default to the STRONGBOX_DB_* variables printed by
`scripts/mariadb env` (host 127.0.0.1, port 33306, user wp, password wp):
  --host H --port P --user U --password PW [--socket PATH]

Bulk mode creates the tables that are missing (CREATE TABLE IF NOT EXISTS
semantics: tables of a real WordPress install are kept and appended to, IDs
continue after the existing ones) and fills them: WordPress core tables
(posts, postmeta, users, usermeta, options, terms, comments...), WooCommerce
HPOS order tables, order items, lookups, Action Scheduler, sessions, and a few
plugin-like tables with edge cases (binary columns, no primary key, composite
primary keys, rows of several MB, utf8mb4 emoji/CJK text, NULLs).
It refuses to run twice on the same database (wc_orders not empty) unless
--reset, which DROPS EVERY TABLE whose name starts with the prefix (including
a WordPress install's own tables).

--mutate-hour applies one "hour of shop activity" after the newest order:
new orders with items/meta/notes, new customers, stock changes, status
changes of a few recent and a few old orders, option updates and transients,
Action Scheduler rows, session churn, analytics log rows. Deterministic for a
given database state and --seed (use a different seed for each hour).

Rows are written as tab-separated files and loaded with LOAD DATA LOCAL INFILE
through the `mariadb` client (no Python driver needed), while the next batch
is generated. About 66 rows per order; 100k orders -> about 6.6 M rows.
"""
import argparse
import hashlib
import os
import queue
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time

# ---------------------------------------------------------------------------
# Schema. Each table: column definitions and keys. Secondary keys of tables we
# create ourselves are added after the bulk load (faster), so SHOW CREATE
# TABLE ends up the same as if they had been created with the table.
# ---------------------------------------------------------------------------

COLLATE = "utf8mb4_unicode_520_ci"

SCHEMA = {
    # ---- WordPress core (wp-admin/includes/schema.php, WordPress 6.x) ----
    "users": """
  ID bigint(20) unsigned NOT NULL auto_increment,
  user_login varchar(60) NOT NULL default '',
  user_pass varchar(255) NOT NULL default '',
  user_nicename varchar(50) NOT NULL default '',
  user_email varchar(100) NOT NULL default '',
  user_url varchar(100) NOT NULL default '',
  user_registered datetime NOT NULL default '0000-00-00 00:00:00',
  user_activation_key varchar(255) NOT NULL default '',
  user_status int(11) NOT NULL default '0',
  display_name varchar(250) NOT NULL default '',
  PRIMARY KEY (ID),
  KEY user_login_key (user_login),
  KEY user_nicename (user_nicename),
  KEY user_email (user_email)""",
    "usermeta": """
  umeta_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY (umeta_id),
  KEY user_id (user_id),
  KEY meta_key (meta_key(191))""",
    "terms": """
  term_id bigint(20) unsigned NOT NULL auto_increment,
  name varchar(200) NOT NULL default '',
  slug varchar(200) NOT NULL default '',
  term_group bigint(10) NOT NULL default 0,
  PRIMARY KEY (term_id),
  KEY slug (slug(191)),
  KEY name (name(191))""",
    "term_taxonomy": """
  term_taxonomy_id bigint(20) unsigned NOT NULL auto_increment,
  term_id bigint(20) unsigned NOT NULL default 0,
  taxonomy varchar(32) NOT NULL default '',
  description longtext NOT NULL,
  parent bigint(20) unsigned NOT NULL default 0,
  count bigint(20) NOT NULL default 0,
  PRIMARY KEY (term_taxonomy_id),
  UNIQUE KEY term_id_taxonomy (term_id,taxonomy),
  KEY taxonomy (taxonomy)""",
    "term_relationships": """
  object_id bigint(20) unsigned NOT NULL default 0,
  term_taxonomy_id bigint(20) unsigned NOT NULL default 0,
  term_order int(11) NOT NULL default 0,
  PRIMARY KEY (object_id,term_taxonomy_id),
  KEY term_taxonomy_id (term_taxonomy_id)""",
    "termmeta": """
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  term_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY (meta_id),
  KEY term_id (term_id),
  KEY meta_key (meta_key(191))""",
    "commentmeta": """
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  comment_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY (meta_id),
  KEY comment_id (comment_id),
  KEY meta_key (meta_key(191))""",
    "comments": """
  comment_ID bigint(20) unsigned NOT NULL auto_increment,
  comment_post_ID bigint(20) unsigned NOT NULL default '0',
  comment_author tinytext NOT NULL,
  comment_author_email varchar(100) NOT NULL default '',
  comment_author_url varchar(200) NOT NULL default '',
  comment_author_IP varchar(100) NOT NULL default '',
  comment_date datetime NOT NULL default '0000-00-00 00:00:00',
  comment_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  comment_content text NOT NULL,
  comment_karma int(11) NOT NULL default '0',
  comment_approved varchar(20) NOT NULL default '1',
  comment_agent varchar(255) NOT NULL default '',
  comment_type varchar(20) NOT NULL default 'comment',
  comment_parent bigint(20) unsigned NOT NULL default '0',
  user_id bigint(20) unsigned NOT NULL default '0',
  PRIMARY KEY (comment_ID),
  KEY comment_post_ID (comment_post_ID),
  KEY comment_approved_date_gmt (comment_approved,comment_date_gmt),
  KEY comment_date_gmt (comment_date_gmt),
  KEY comment_parent (comment_parent),
  KEY comment_author_email (comment_author_email(10))""",
    "links": """
  link_id bigint(20) unsigned NOT NULL auto_increment,
  link_url varchar(255) NOT NULL default '',
  link_name varchar(255) NOT NULL default '',
  link_image varchar(255) NOT NULL default '',
  link_target varchar(25) NOT NULL default '',
  link_description varchar(255) NOT NULL default '',
  link_visible varchar(20) NOT NULL default 'Y',
  link_owner bigint(20) unsigned NOT NULL default '1',
  link_rating int(11) NOT NULL default '0',
  link_updated datetime NOT NULL default '0000-00-00 00:00:00',
  link_rel varchar(255) NOT NULL default '',
  link_notes mediumtext NOT NULL,
  link_rss varchar(255) NOT NULL default '',
  PRIMARY KEY (link_id),
  KEY link_visible (link_visible)""",
    "options": """
  option_id bigint(20) unsigned NOT NULL auto_increment,
  option_name varchar(191) NOT NULL default '',
  option_value longtext NOT NULL,
  autoload varchar(20) NOT NULL default 'yes',
  PRIMARY KEY (option_id),
  UNIQUE KEY option_name (option_name),
  KEY autoload (autoload)""",
    "postmeta": """
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  post_id bigint(20) unsigned NOT NULL default '0',
  meta_key varchar(255) default NULL,
  meta_value longtext,
  PRIMARY KEY (meta_id),
  KEY post_id (post_id),
  KEY meta_key (meta_key(191))""",
    "posts": """
  ID bigint(20) unsigned NOT NULL auto_increment,
  post_author bigint(20) unsigned NOT NULL default '0',
  post_date datetime NOT NULL default '0000-00-00 00:00:00',
  post_date_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  post_content longtext NOT NULL,
  post_title text NOT NULL,
  post_excerpt text NOT NULL,
  post_status varchar(20) NOT NULL default 'publish',
  comment_status varchar(20) NOT NULL default 'open',
  ping_status varchar(20) NOT NULL default 'open',
  post_password varchar(255) NOT NULL default '',
  post_name varchar(200) NOT NULL default '',
  to_ping text NOT NULL,
  pinged text NOT NULL,
  post_modified datetime NOT NULL default '0000-00-00 00:00:00',
  post_modified_gmt datetime NOT NULL default '0000-00-00 00:00:00',
  post_content_filtered longtext NOT NULL,
  post_parent bigint(20) unsigned NOT NULL default '0',
  guid varchar(255) NOT NULL default '',
  menu_order int(11) NOT NULL default '0',
  post_type varchar(20) NOT NULL default 'post',
  post_mime_type varchar(100) NOT NULL default '',
  comment_count bigint(20) NOT NULL default '0',
  PRIMARY KEY (ID),
  KEY post_name (post_name(191)),
  KEY type_status_date (post_type,post_status,post_date,ID),
  KEY post_parent (post_parent),
  KEY post_author (post_author)""",
    # ---- WooCommerce HPOS ----
    "wc_orders": """
  id bigint(20) unsigned NOT NULL,
  status varchar(20) NULL,
  currency varchar(10) NULL,
  type varchar(20) NULL,
  tax_amount decimal(26,8) NULL,
  total_amount decimal(26,8) NULL,
  customer_id bigint(20) unsigned NULL,
  billing_email varchar(320) NULL,
  date_created_gmt datetime NULL,
  date_updated_gmt datetime NULL,
  parent_order_id bigint(20) unsigned NULL,
  payment_method varchar(100) NULL,
  payment_method_title text NULL,
  transaction_id varchar(100) NULL,
  ip_address varchar(100) NULL,
  user_agent text NULL,
  customer_note text NULL,
  PRIMARY KEY (id),
  KEY status (status),
  KEY date_created (date_created_gmt),
  KEY customer_id_billing_email (customer_id, billing_email(171)),
  KEY billing_email (billing_email(171)),
  KEY type_status_date (type, status, date_created_gmt),
  KEY parent_order_id (parent_order_id),
  KEY date_updated (date_updated_gmt)""",
    "wc_order_addresses": """
  id bigint(20) unsigned NOT NULL auto_increment,
  order_id bigint(20) unsigned NOT NULL,
  address_type varchar(20) NULL,
  first_name text NULL,
  last_name text NULL,
  company text NULL,
  address_1 text NULL,
  address_2 text NULL,
  city text NULL,
  state text NULL,
  postcode text NULL,
  country text NULL,
  email varchar(320) NULL,
  phone varchar(100) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY address_type_order_id (address_type, order_id),
  KEY order_id (order_id),
  KEY email (email(191)),
  KEY phone (phone)""",
    "wc_order_operational_data": """
  id bigint(20) unsigned NOT NULL auto_increment,
  order_id bigint(20) unsigned NULL,
  created_via varchar(100) NULL,
  woocommerce_version varchar(20) NULL,
  prices_include_tax tinyint(1) NULL,
  coupon_usages_are_counted tinyint(1) NULL,
  download_permission_granted tinyint(1) NULL,
  cart_hash varchar(100) NULL,
  new_order_email_sent tinyint(1) NULL,
  order_key varchar(100) NULL,
  order_stock_reduced tinyint(1) NULL,
  date_paid_gmt datetime NULL,
  date_completed_gmt datetime NULL,
  shipping_tax_amount decimal(26,8) NULL,
  shipping_total_amount decimal(26,8) NULL,
  discount_tax_amount decimal(26,8) NULL,
  discount_total_amount decimal(26,8) NULL,
  recorded_sales tinyint(1) NULL,
  PRIMARY KEY (id),
  UNIQUE KEY order_id (order_id),
  KEY order_key (order_key)""",
    "wc_orders_meta": """
  id bigint(20) unsigned NOT NULL auto_increment,
  order_id bigint(20) unsigned NULL,
  meta_key varchar(255),
  meta_value text NULL,
  PRIMARY KEY (id),
  KEY meta_key_value (meta_key(100), meta_value(82)),
  KEY order_id_meta_key_meta_value (order_id, meta_key(100), meta_value(82))""",
    "woocommerce_order_items": """
  order_item_id bigint(20) unsigned NOT NULL auto_increment,
  order_item_name text NOT NULL,
  order_item_type varchar(200) NOT NULL DEFAULT '',
  order_id bigint(20) unsigned NOT NULL,
  PRIMARY KEY (order_item_id),
  KEY order_id (order_id)""",
    "woocommerce_order_itemmeta": """
  meta_id bigint(20) unsigned NOT NULL auto_increment,
  order_item_id bigint(20) unsigned NOT NULL,
  meta_key varchar(255) default NULL,
  meta_value longtext NULL,
  PRIMARY KEY (meta_id),
  KEY order_item_id (order_item_id),
  KEY meta_key (meta_key(32))""",
    "wc_order_stats": """
  order_id bigint(20) unsigned NOT NULL,
  parent_id bigint(20) unsigned DEFAULT 0 NOT NULL,
  date_created datetime DEFAULT '0000-00-00 00:00:00' NOT NULL,
  date_created_gmt datetime DEFAULT '0000-00-00 00:00:00' NOT NULL,
  date_paid datetime DEFAULT '0000-00-00 00:00:00',
  date_completed datetime DEFAULT '0000-00-00 00:00:00',
  num_items_sold int(11) DEFAULT 0 NOT NULL,
  total_sales double DEFAULT 0 NOT NULL,
  tax_total double DEFAULT 0 NOT NULL,
  shipping_total double DEFAULT 0 NOT NULL,
  net_total double DEFAULT 0 NOT NULL,
  returning_customer tinyint(1) DEFAULT NULL,
  status varchar(200) NOT NULL,
  customer_id bigint(20) unsigned NOT NULL,
  PRIMARY KEY (order_id),
  KEY date_created (date_created),
  KEY customer_id (customer_id),
  KEY status (status(191))""",
    "wc_order_product_lookup": """
  order_item_id bigint(20) unsigned NOT NULL,
  order_id bigint(20) unsigned NOT NULL,
  product_id bigint(20) unsigned NOT NULL,
  variation_id bigint(20) unsigned NOT NULL,
  customer_id bigint(20) unsigned NULL,
  date_created datetime DEFAULT '0000-00-00 00:00:00' NOT NULL,
  product_qty int(11) NOT NULL,
  product_net_revenue double DEFAULT 0 NOT NULL,
  product_gross_revenue double DEFAULT 0 NOT NULL,
  coupon_amount double DEFAULT 0 NOT NULL,
  tax_amount double DEFAULT 0 NOT NULL,
  shipping_amount double DEFAULT 0 NOT NULL,
  shipping_tax_amount double DEFAULT 0 NOT NULL,
  PRIMARY KEY (order_item_id),
  KEY order_id (order_id),
  KEY product_id (product_id),
  KEY customer_id (customer_id),
  KEY date_created (date_created)""",
    "wc_order_tax_lookup": """
  order_id bigint(20) unsigned NOT NULL,
  tax_rate_id bigint(20) unsigned NOT NULL,
  date_created datetime DEFAULT '0000-00-00 00:00:00' NOT NULL,
  shipping_tax double DEFAULT 0 NOT NULL,
  order_tax double DEFAULT 0 NOT NULL,
  total_tax double DEFAULT 0 NOT NULL,
  PRIMARY KEY (order_id, tax_rate_id),
  KEY tax_rate_id (tax_rate_id),
  KEY date_created (date_created)""",
    "wc_order_coupon_lookup": """
  order_id bigint(20) unsigned NOT NULL,
  coupon_id bigint(20) NOT NULL,
  date_created datetime DEFAULT '0000-00-00 00:00:00' NOT NULL,
  discount_amount double DEFAULT 0 NOT NULL,
  PRIMARY KEY (order_id, coupon_id),
  KEY coupon_id (coupon_id),
  KEY date_created (date_created)""",
    "wc_customer_lookup": """
  customer_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  user_id bigint(20) unsigned DEFAULT NULL,
  username varchar(60) DEFAULT '' NOT NULL,
  first_name varchar(255) NOT NULL,
  last_name varchar(255) NOT NULL,
  email varchar(100) NULL default NULL,
  date_last_active timestamp NULL default null,
  date_registered timestamp NULL default null,
  country char(2) DEFAULT '' NOT NULL,
  postcode varchar(20) DEFAULT '' NOT NULL,
  city varchar(100) DEFAULT '' NOT NULL,
  state varchar(100) DEFAULT '' NOT NULL,
  PRIMARY KEY (customer_id),
  UNIQUE KEY user_id (user_id),
  KEY email (email)""",
    "wc_product_meta_lookup": """
  product_id bigint(20) NOT NULL,
  sku varchar(100) NULL default '',
  global_unique_id varchar(100) NULL default '',
  virtual tinyint(1) NULL default 0,
  downloadable tinyint(1) NULL default 0,
  min_price decimal(19,4) NULL default NULL,
  max_price decimal(19,4) NULL default NULL,
  onsale tinyint(1) NULL default 0,
  stock_quantity double NULL default NULL,
  stock_status varchar(100) NULL default 'instock',
  rating_count bigint(20) NULL default 0,
  average_rating decimal(3,2) NULL default 0.00,
  total_sales bigint(20) NULL default 0,
  tax_status varchar(100) NULL default 'taxable',
  tax_class varchar(100) NULL default '',
  PRIMARY KEY (product_id),
  KEY virtual (virtual),
  KEY downloadable (downloadable),
  KEY stock_status (stock_status),
  KEY stock_quantity (stock_quantity),
  KEY onsale (onsale),
  KEY min_max_price (min_price, max_price),
  KEY sku (sku(50))""",
    "wc_product_attributes_lookup": """
  product_id bigint(20) NOT NULL,
  product_or_parent_id bigint(20) NOT NULL,
  taxonomy varchar(32) NOT NULL,
  term_id bigint(20) NOT NULL,
  is_variation_attribute tinyint(1) NOT NULL,
  in_stock tinyint(1) NOT NULL,
  PRIMARY KEY (product_or_parent_id, term_id, product_id, taxonomy),
  KEY is_variation_attribute_term_id (is_variation_attribute, term_id)""",
    "wc_reserved_stock": """
  order_id bigint(20) NOT NULL,
  product_id bigint(20) NOT NULL,
  stock_quantity double NOT NULL DEFAULT 0,
  timestamp datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  expires datetime NOT NULL DEFAULT '0000-00-00 00:00:00',
  PRIMARY KEY (order_id, product_id)""",
    "wc_rate_limits": """
  rate_limit_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  rate_limit_key varchar(200) NOT NULL,
  rate_limit_expiry bigint(20) unsigned NOT NULL,
  rate_limit_remaining smallint(10) NOT NULL DEFAULT '0',
  PRIMARY KEY (rate_limit_id),
  UNIQUE KEY rate_limit_key (rate_limit_key(191))""",
    "wc_tax_rate_classes": """
  tax_rate_class_id bigint(20) unsigned NOT NULL auto_increment,
  name varchar(200) NOT NULL DEFAULT '',
  slug varchar(200) NOT NULL DEFAULT '',
  PRIMARY KEY (tax_rate_class_id),
  UNIQUE KEY slug (slug(191))""",
    "woocommerce_sessions": """
  session_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  session_key char(32) NOT NULL,
  session_value longtext NOT NULL,
  session_expiry bigint(20) unsigned NOT NULL,
  PRIMARY KEY (session_id),
  UNIQUE KEY session_key (session_key)""",
    "woocommerce_api_keys": """
  key_id bigint(20) unsigned NOT NULL auto_increment,
  user_id bigint(20) unsigned NOT NULL,
  description varchar(200) NULL,
  permissions varchar(10) NOT NULL,
  consumer_key char(64) NOT NULL,
  consumer_secret char(43) NOT NULL,
  nonces longtext NULL,
  truncated_key char(7) NOT NULL,
  last_access datetime NULL default null,
  PRIMARY KEY (key_id),
  KEY consumer_key (consumer_key),
  KEY consumer_secret (consumer_secret)""",
    "woocommerce_attribute_taxonomies": """
  attribute_id bigint(20) unsigned NOT NULL auto_increment,
  attribute_name varchar(200) NOT NULL,
  attribute_label varchar(200) NULL,
  attribute_type varchar(20) NOT NULL,
  attribute_orderby varchar(20) NOT NULL,
  attribute_public int(1) NOT NULL DEFAULT 1,
  PRIMARY KEY (attribute_id),
  KEY attribute_name (attribute_name(20))""",
    "woocommerce_downloadable_product_permissions": """
  permission_id bigint(20) unsigned NOT NULL auto_increment,
  download_id varchar(36) NOT NULL,
  product_id bigint(20) unsigned NOT NULL,
  order_id bigint(20) unsigned NOT NULL DEFAULT 0,
  order_key varchar(200) NOT NULL,
  user_email varchar(200) NOT NULL,
  user_id bigint(20) unsigned NULL,
  downloads_remaining varchar(9) NULL,
  access_granted datetime NOT NULL default '0000-00-00 00:00:00',
  access_expires datetime NULL default null,
  download_count bigint(20) unsigned NOT NULL DEFAULT 0,
  PRIMARY KEY (permission_id),
  KEY download_order_key_product (product_id,order_id,order_key(16),download_id),
  KEY download_order_product (download_id,order_id,product_id),
  KEY order_id (order_id),
  KEY user_order_remaining_expires (user_id,order_id,downloads_remaining,access_expires)""",
    "woocommerce_tax_rates": """
  tax_rate_id bigint(20) unsigned NOT NULL auto_increment,
  tax_rate_country varchar(2) NOT NULL DEFAULT '',
  tax_rate_state varchar(200) NOT NULL DEFAULT '',
  tax_rate varchar(8) NOT NULL DEFAULT '',
  tax_rate_name varchar(200) NOT NULL DEFAULT '',
  tax_rate_priority bigint(20) unsigned NOT NULL,
  tax_rate_compound int(1) NOT NULL DEFAULT 0,
  tax_rate_shipping int(1) NOT NULL DEFAULT 1,
  tax_rate_order bigint(20) unsigned NOT NULL,
  tax_rate_class varchar(200) NOT NULL DEFAULT '',
  PRIMARY KEY (tax_rate_id),
  KEY tax_rate_country (tax_rate_country),
  KEY tax_rate_state (tax_rate_state(2)),
  KEY tax_rate_class (tax_rate_class(10)),
  KEY tax_rate_priority (tax_rate_priority)""",
    "woocommerce_shipping_zones": """
  zone_id bigint(20) unsigned NOT NULL auto_increment,
  zone_name varchar(200) NOT NULL,
  zone_order bigint(20) unsigned NOT NULL,
  PRIMARY KEY (zone_id)""",
    "woocommerce_shipping_zone_locations": """
  location_id bigint(20) unsigned NOT NULL auto_increment,
  zone_id bigint(20) unsigned NOT NULL,
  location_code varchar(200) NOT NULL,
  location_type varchar(40) NOT NULL,
  PRIMARY KEY (location_id),
  KEY zone_id (zone_id),
  KEY location_type_code (location_type(10),location_code(20))""",
    "woocommerce_shipping_zone_methods": """
  zone_id bigint(20) unsigned NOT NULL,
  instance_id bigint(20) unsigned NOT NULL auto_increment,
  method_id varchar(200) NOT NULL,
  method_order bigint(20) unsigned NOT NULL,
  is_enabled tinyint(1) NOT NULL DEFAULT '1',
  PRIMARY KEY (instance_id)""",
    "woocommerce_payment_tokens": """
  token_id bigint(20) unsigned NOT NULL auto_increment,
  gateway_id varchar(200) NOT NULL,
  token text NOT NULL,
  user_id bigint(20) unsigned NOT NULL DEFAULT '0',
  type varchar(200) NOT NULL,
  is_default tinyint(1) NOT NULL DEFAULT '0',
  PRIMARY KEY (token_id),
  KEY user_id (user_id)""",
    "woocommerce_log": """
  log_id bigint(20) unsigned NOT NULL AUTO_INCREMENT,
  timestamp datetime NOT NULL,
  level smallint(4) NOT NULL,
  source varchar(200) NOT NULL,
  message longtext NOT NULL,
  context longtext NULL,
  PRIMARY KEY (log_id),
  KEY level (level)""",
    # ---- Action Scheduler ----
    "actionscheduler_actions": """
  action_id bigint(20) unsigned NOT NULL auto_increment,
  hook varchar(191) NOT NULL,
  status varchar(20) NOT NULL,
  scheduled_date_gmt datetime NULL default '0000-00-00 00:00:00',
  scheduled_date_local datetime NULL default '0000-00-00 00:00:00',
  priority tinyint unsigned NOT NULL default '10',
  args varchar(191),
  schedule longtext,
  group_id bigint(20) unsigned NOT NULL default '0',
  attempts int(11) NOT NULL default '0',
  last_attempt_gmt datetime NULL default '0000-00-00 00:00:00',
  last_attempt_local datetime NULL default '0000-00-00 00:00:00',
  claim_id bigint(20) unsigned NOT NULL default '0',
  extended_args varchar(8000) DEFAULT NULL,
  PRIMARY KEY (action_id),
  KEY hook_status_scheduled_date_gmt (hook(163), status, scheduled_date_gmt),
  KEY status_scheduled_date_gmt (status, scheduled_date_gmt),
  KEY scheduled_date_gmt (scheduled_date_gmt),
  KEY args (args),
  KEY group_id (group_id),
  KEY last_attempt_gmt (last_attempt_gmt),
  KEY `claim_id_status_scheduled_date_gmt` (`claim_id`, `status`, `scheduled_date_gmt`)""",
    "actionscheduler_claims": """
  claim_id bigint(20) unsigned NOT NULL auto_increment,
  date_created_gmt datetime NULL default '0000-00-00 00:00:00',
  PRIMARY KEY (claim_id),
  KEY date_created_gmt (date_created_gmt)""",
    "actionscheduler_groups": """
  group_id bigint(20) unsigned NOT NULL auto_increment,
  slug varchar(255) NOT NULL,
  PRIMARY KEY (group_id),
  KEY slug (slug(191))""",
    "actionscheduler_logs": """
  log_id bigint(20) unsigned NOT NULL auto_increment,
  action_id bigint(20) unsigned NOT NULL,
  message text NOT NULL,
  log_date_gmt datetime NULL default '0000-00-00 00:00:00',
  log_date_local datetime NULL default '0000-00-00 00:00:00',
  PRIMARY KEY (log_id),
  KEY action_id (action_id),
  KEY log_date_gmt (log_date_gmt)""",
    # ---- plugin-like tables with edge cases ----
    # Wordfence-like: IPs as binary(16), config values as longblob.
    "wfhits": """
  id int(10) unsigned NOT NULL AUTO_INCREMENT,
  attackLogTime double(17,6) unsigned NOT NULL,
  ctime double(17,6) unsigned NOT NULL,
  IP binary(16) DEFAULT NULL,
  jsRun tinyint(4) DEFAULT 0,
  statusCode int(11) NOT NULL DEFAULT 200,
  isGoogle tinyint(4) NOT NULL,
  userID int(10) unsigned NOT NULL,
  newVisit tinyint(3) unsigned NOT NULL,
  URL text DEFAULT NULL,
  referer text DEFAULT NULL,
  UA text DEFAULT NULL,
  action varchar(64) NOT NULL DEFAULT '',
  actionDescription text DEFAULT NULL,
  actionData text DEFAULT NULL,
  PRIMARY KEY (id),
  KEY k1 (ctime),
  KEY k2 (IP,ctime),
  KEY attackLogTime (attackLogTime)""",
    "wfconfig": """
  name varchar(100) NOT NULL,
  val longblob DEFAULT NULL,
  autoload enum('no','yes') NOT NULL DEFAULT 'yes',
  PRIMARY KEY (name)""",
    # An analytics plugin's raw log: NO PRIMARY KEY, binary columns.
    "analytics_pageviews": """
  viewed_at datetime NOT NULL,
  visitor_hash binary(16) NOT NULL,
  ip varbinary(16) DEFAULT NULL,
  path varchar(255) NOT NULL,
  referrer varchar(255) DEFAULT NULL,
  device varchar(16) NOT NULL DEFAULT 'desktop',
  status smallint(5) unsigned NOT NULL DEFAULT 200,
  KEY viewed_at (viewed_at),
  KEY path (path(64))""",
}

# Column lists used for LOAD DATA / INSERT, in the order the generator emits
# fields. A leading "@hex:" marks a binary column emitted as hex.
COLS = {
    "users": "ID user_login user_pass user_nicename user_email user_url user_registered user_activation_key user_status display_name",
    "usermeta": "umeta_id user_id meta_key meta_value",
    "terms": "term_id name slug term_group",
    "term_taxonomy": "term_taxonomy_id term_id taxonomy description parent count",
    "term_relationships": "object_id term_taxonomy_id term_order",
    "termmeta": "meta_id term_id meta_key meta_value",
    "commentmeta": "meta_id comment_id meta_key meta_value",
    "comments": "comment_ID comment_post_ID comment_author comment_author_email comment_author_url comment_author_IP comment_date comment_date_gmt comment_content comment_karma comment_approved comment_agent comment_type comment_parent user_id",
    "links": "link_id link_url link_name link_image link_target link_description link_visible link_owner link_rating link_updated link_rel link_notes link_rss",
    "options": "option_id option_name option_value autoload",
    "postmeta": "meta_id post_id meta_key meta_value",
    "posts": "ID post_author post_date post_date_gmt post_content post_title post_excerpt post_status comment_status ping_status post_password post_name to_ping pinged post_modified post_modified_gmt post_content_filtered post_parent guid menu_order post_type post_mime_type comment_count",
    "wc_orders": "id status currency type tax_amount total_amount customer_id billing_email date_created_gmt date_updated_gmt parent_order_id payment_method payment_method_title transaction_id ip_address user_agent customer_note",
    "wc_order_addresses": "id order_id address_type first_name last_name company address_1 address_2 city state postcode country email phone",
    "wc_order_operational_data": "id order_id created_via woocommerce_version prices_include_tax coupon_usages_are_counted download_permission_granted cart_hash new_order_email_sent order_key order_stock_reduced date_paid_gmt date_completed_gmt shipping_tax_amount shipping_total_amount discount_tax_amount discount_total_amount recorded_sales",
    "wc_orders_meta": "id order_id meta_key meta_value",
    "woocommerce_order_items": "order_item_id order_item_name order_item_type order_id",
    "woocommerce_order_itemmeta": "meta_id order_item_id meta_key meta_value",
    "wc_order_stats": "order_id parent_id date_created date_created_gmt date_paid date_completed num_items_sold total_sales tax_total shipping_total net_total returning_customer status customer_id",
    "wc_order_product_lookup": "order_item_id order_id product_id variation_id customer_id date_created product_qty product_net_revenue product_gross_revenue coupon_amount tax_amount shipping_amount shipping_tax_amount",
    "wc_order_tax_lookup": "order_id tax_rate_id date_created shipping_tax order_tax total_tax",
    "wc_order_coupon_lookup": "order_id coupon_id date_created discount_amount",
    "wc_customer_lookup": "customer_id user_id username first_name last_name email date_last_active date_registered country postcode city state",
    "wc_product_meta_lookup": "product_id sku global_unique_id virtual downloadable min_price max_price onsale stock_quantity stock_status rating_count average_rating total_sales tax_status tax_class",
    "wc_product_attributes_lookup": "product_id product_or_parent_id taxonomy term_id is_variation_attribute in_stock",
    "wc_reserved_stock": "order_id product_id stock_quantity timestamp expires",
    "wc_rate_limits": "rate_limit_id rate_limit_key rate_limit_expiry rate_limit_remaining",
    "wc_tax_rate_classes": "tax_rate_class_id name slug",
    "woocommerce_sessions": "session_id session_key session_value session_expiry",
    "woocommerce_api_keys": "key_id user_id description permissions consumer_key consumer_secret nonces truncated_key last_access",
    "woocommerce_attribute_taxonomies": "attribute_id attribute_name attribute_label attribute_type attribute_orderby attribute_public",
    "woocommerce_downloadable_product_permissions": "permission_id download_id product_id order_id order_key user_email user_id downloads_remaining access_granted access_expires download_count",
    "woocommerce_tax_rates": "tax_rate_id tax_rate_country tax_rate_state tax_rate tax_rate_name tax_rate_priority tax_rate_compound tax_rate_shipping tax_rate_order tax_rate_class",
    "woocommerce_shipping_zones": "zone_id zone_name zone_order",
    "woocommerce_shipping_zone_locations": "location_id zone_id location_code location_type",
    "woocommerce_shipping_zone_methods": "zone_id instance_id method_id method_order is_enabled",
    "woocommerce_payment_tokens": "token_id gateway_id token user_id type is_default",
    "woocommerce_log": "log_id timestamp level source message context",
    "actionscheduler_actions": "action_id hook status scheduled_date_gmt scheduled_date_local priority args schedule group_id attempts last_attempt_gmt last_attempt_local claim_id extended_args",
    "actionscheduler_claims": "claim_id date_created_gmt",
    "actionscheduler_groups": "group_id slug",
    "actionscheduler_logs": "log_id action_id message log_date_gmt log_date_local",
    "wfhits": "id attackLogTime ctime @hex:IP jsRun statusCode isGoogle userID newVisit URL referer UA action actionDescription actionData",
    "wfconfig": "name @hex:val autoload",
    "analytics_pageviews": "viewed_at @hex:visitor_hash @hex:ip path referrer device status",
}
COLS = {t: c.split() for t, c in COLS.items()}

# auto-increment / id columns whose next value we take from MAX()+1
ID_COLS = {
    "users": "ID", "usermeta": "umeta_id", "terms": "term_id", "term_taxonomy": "term_taxonomy_id",
    "termmeta": "meta_id", "commentmeta": "meta_id", "comments": "comment_ID", "links": "link_id",
    "options": "option_id", "postmeta": "meta_id", "posts": "ID",
    "wc_order_addresses": "id", "wc_order_operational_data": "id", "wc_orders_meta": "id",
    "woocommerce_order_items": "order_item_id", "woocommerce_order_itemmeta": "meta_id",
    "wc_customer_lookup": "customer_id", "wc_rate_limits": "rate_limit_id",
    "wc_tax_rate_classes": "tax_rate_class_id", "woocommerce_sessions": "session_id",
    "woocommerce_api_keys": "key_id", "woocommerce_attribute_taxonomies": "attribute_id",
    "woocommerce_downloadable_product_permissions": "permission_id", "woocommerce_tax_rates": "tax_rate_id",
    "woocommerce_shipping_zones": "zone_id", "woocommerce_shipping_zone_locations": "location_id",
    "woocommerce_shipping_zone_methods": "instance_id", "woocommerce_payment_tokens": "token_id",
    "woocommerce_log": "log_id", "actionscheduler_actions": "action_id", "actionscheduler_claims": "claim_id",
    "actionscheduler_groups": "group_id", "actionscheduler_logs": "log_id", "wfhits": "id",
}


def split_schema(body):
    """Return (column+primary key lines, secondary key lines)."""
    main, secondary = [], []
    for line in body.strip().splitlines():
        line = line.strip().rstrip(",")
        if not line:
            continue
        if line.startswith(("KEY ", "UNIQUE KEY ", "FULLTEXT ", "INDEX ")):
            secondary.append(line)
        else:
            main.append(line)
    return main, secondary


# ---------------------------------------------------------------------------
# Value helpers
# ---------------------------------------------------------------------------

def esc(s):
    """Escape a text value for the tab-separated LOAD DATA format (str.replace beats str.translate)."""
    if "\\" in s:
        s = s.replace("\\", "\\\\")
    if "\t" in s:
        s = s.replace("\t", "\\t")
    if "\n" in s:
        s = s.replace("\n", "\\n")
    if "\r" in s:
        s = s.replace("\r", "\\r")
    if "\0" in s:
        s = s.replace("\0", "\\0")
    return s


N = "\\N"  # NULL in the TSV format

_day_cache = {}


def dt(epoch):
    """'YYYY-MM-DD HH:MM:SS' (UTC) for an integer epoch, fast."""
    day, sec = divmod(epoch, 86400)
    d = _day_cache.get(day)
    if d is None:
        d = time.strftime("%Y-%m-%d", time.gmtime(day * 86400))
        _day_cache[day] = d
    h, sec = divmod(sec, 3600)
    m, s = divmod(sec, 60)
    return f"{d} {h:02d}:{m:02d}:{s:02d}"


def money(cents):
    sign = "-" if cents < 0 else ""
    cents = abs(cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


def dec8(cents):
    return money(cents) + "000000"


def php_s(s):
    return f's:{len(s.encode())}:"{s}";'


def php_ser(v):
    """Minimal PHP serialize() for dict/list/str/int/float/bool/None."""
    if v is None:
        return "N;"
    if v is True or v is False:
        return f"b:{int(v)};"
    if isinstance(v, int):
        return f"i:{v};"
    if isinstance(v, float):
        return f"d:{v!r};"
    if isinstance(v, str):
        return php_s(v)
    if isinstance(v, (list, tuple)):
        v = dict(enumerate(v))
    items = "".join(php_ser(k) + php_ser(x) for k, x in v.items())
    return f"a:{len(v)}:{{{items}}}"


# ---------------------------------------------------------------------------
# Deterministic text pools
# ---------------------------------------------------------------------------

FIRST = [("Anna", "anna"), ("Lukas", "lukas"), ("Sofia", "sofia"), ("Jonas", "jonas"), ("Emma", "emma"),
         ("Mateo", "mateo"), ("Olivia", "olivia"), ("Noah", "noah"), ("Léa", "lea"), ("Zoë", "zoe"),
         ("José", "jose"), ("Ömer", "oemer"), ("Søren", "soeren"), ("Agnieszka", "agnieszka"),
         ("Łukasz", "lukasz"), ("Björn", "bjoern"), ("Chloé", "chloe"), ("Hiroshi", "hiroshi"),
         ("さくら", "sakura"), ("太郎", "taro"), ("王芳", "wangfang"), ("李伟", "liwei"), ("민준", "minjun"),
         ("Олег", "oleg"), ("Наталья", "natalya"), ("Αλέξανδρος", "alexandros"), ("Priya", "priya"),
         ("Mohammed", "mohammed"), ("Fatima", "fatima"), ("أحمد", "ahmad"), ("Diego", "diego"),
         ("Camila", "camila"), ("Liam", "liam"), ("Mia", "mia"), ("Ava", "ava"), ("Ethan", "ethan"),
         ("Marie", "marie"), ("Paul", "paul"), ("Julia", "julia"), ("Felix", "felix"), ("Hannah", "hannah"),
         ("Ben", "ben"), ("Laura", "laura"), ("Tom", "tom"), ("Sarah", "sarah"), ("David", "david")]
LAST = [("Müller", "mueller"), ("Schmidt", "schmidt"), ("Schneider", "schneider"), ("Fischer", "fischer"),
        ("Weber", "weber"), ("Meyer", "meyer"), ("Wagner", "wagner"), ("Becker", "becker"), ("Dubois", "dubois"),
        ("García", "garcia"), ("Rossi", "rossi"), ("Smith", "smith"), ("Johnson", "johnson"), ("Nowak", "nowak"),
        ("Kowalski", "kowalski"), ("O'Brien", "obrien"), ("van der Berg", "vanderberg"), ("Jensen", "jensen"),
        ("Yılmaz", "yilmaz"), ("佐藤", "sato"), ("田中", "tanaka"), ("王", "wang"), ("김", "kim"),
        ("Иванов", "ivanov"), ("Παπαδόπουλος", "papadopoulos"), ("Sharma", "sharma"), ("Silva", "silva"),
        ("Hoffmann", "hoffmann"), ("Schäfer", "schaefer"), ("Koch", "koch"), ("Richter", "richter"),
        ("Klein", "klein"), ("Wolf", "wolf"), ("Neumann", "neumann"), ("Schwarz", "schwarz"), ("Brown", "brown")]
CITIES = [("Berlin", "DE", "BE", "10115"), ("München", "DE", "BY", "80331"), ("Köln", "DE", "NW", "50667"),
          ("Hamburg", "DE", "HH", "20095"), ("Wien", "AT", "", "1010"), ("Zürich", "CH", "ZH", "8001"),
          ("Paris", "FR", "", "75001"), ("Lyon", "FR", "", "69001"), ("Amsterdam", "NL", "", "1012 AB"),
          ("København", "DK", "", "1050"), ("Kraków", "PL", "", "30-001"), ("Madrid", "ES", "M", "28001"),
          ("Milano", "IT", "MI", "20121"), ("London", "GB", "", "EC1A 1BB"), ("Dublin", "IE", "D", "D02 X285"),
          ("New York", "US", "NY", "10001"), ("東京", "JP", "JP13", "100-0001"), ("Seoul", "KR", "", "04524"),
          ("São Paulo", "BR", "SP", "01000-000"), ("Αθήνα", "GR", "I", "105 52")]
STREETS = ["Hauptstraße", "Bahnhofstr.", "Rue de la Paix", "Calle Mayor", "Via Roma", "High Street",
           "Kurfürstendamm", "Øster Allé", "ul. Długa", "Main St", "Schillerweg", "Am Markt", "銀座通り"]
COMPANIES = [None, None, None, None, None, None, "ACME GmbH", "Müller & Söhne KG", "Café Zürich 🍰",
             "株式会社テスト", "Blue Ocean Ltd", "Studio Ø"]
WORDS = ("lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor incididunt ut labore "
         "et dolore magna aliqua coffee mug ceramic handmade organic cotton shirt linen bag leather wallet "
         "premium quality durable gift sustainable vegan recycled glass bottle stainless steel kettle tea "
         "Kaffee Tasse Geschenk schön grün größe farbe qualité très café naïve 茶 陶器 手作り 🎁 ☕ ✨ 🌿").split()
PRODUCT_NOUNS = ["Mug", "Teapot", "T-Shirt", "Hoodie", "Tote Bag", "Wallet", "Notebook", "Candle",
                 "Bottle", "Kettle", "Cap", "Scarf", "Poster", "Sticker Set", "Gift Card 🎁", "Tasse ☕",
                 "茶碗 Teacup", "Schürze", "Vase", "Plant Pot 🌿", "Socks", "Beanie", "Lamp", "Blanket"]
PRODUCT_ADJ = ["Classic", "Organic", "Handmade", "Vintage", "Premium", "Eco", "Mini", "XL", "Nordic",
               "Bavarian", "Kyoto", "Rustic", "Modern", "Retro", "Signature", "Limited ✨"]
NOTES = [None] * 12 + ["Bitte beim Nachbarn abgeben.", "Please leave at the door 🚪", "Gift wrap please 🎁",
                       "配達前に電話してください", "Ring twice.\nSecond floor, door on the left.",
                       "Lieferung ab 14 Uhr – danke! 😊", "Tab\tseparated\\backslash note"]
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Safari/605.1.15",
       "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0 Mobile Safari/537.36",
       "Mozilla/5.0 (X11; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0"]
PAYMENTS = [("stripe", "Kreditkarte (Stripe)", 45), ("ppcp-gateway", "PayPal", 30), ("bacs", "Direct bank transfer", 10),
            ("cod", "Cash on delivery", 5), ("klarna_payments", "Klarna", 10)]
PAY_CUM = []
_acc = 0
for _p in PAYMENTS:
    _acc += _p[2]
    PAY_CUM.append((_acc, _p))

WC_VERSION = "9.4.2"
# The shop's clock: bulk data ends here; --mutate-hour continues from the data.
SHOP_END = 1793491200  # 2026-11-01 00:00:00 UTC
SHOP_SPAN = 3 * 365 * 86400
LOCAL_OFFSET = 3600  # Europe/Berlin (winter), used for *_local and post_date columns
TAX_RATE_ID = 1


def words(rng, n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


def hexid(rng, n):
    return "%0*x" % (n, rng.getrandbits(4 * n))


# ---------------------------------------------------------------------------
# Database access through the mariadb client
# ---------------------------------------------------------------------------

class DB:
    def __init__(self, a):
        self.a = a
        self.env = dict(os.environ, MYSQL_PWD=a.password)
        base = ["mariadb", "--no-defaults", f"--user={a.user}", "--default-character-set=utf8mb4"]
        if a.socket:
            base += [f"--socket={a.socket}", "--protocol=socket"]
        else:
            base += [f"--host={a.host}", f"--port={a.port}", "--protocol=tcp"]
        self.base = base

    def run(self, sql, database=True, capture=False, local_infile=False):
        cmd = list(self.base)
        if local_infile:
            cmd.append("--local-infile=1")
        if capture:
            cmd += ["-N", "-B", "--raw"]
        if database:
            cmd.append(self.a.database)
        p = subprocess.run(cmd, input=sql.encode(), env=self.env, capture_output=True)
        if p.returncode != 0:
            err = p.stderr.decode(errors="replace")
            sys.stderr.write(err if len(err) < 3000 else "...\n" + err[-3000:])
            raise SystemExit(f"gen_shop: mariadb client failed (exit {p.returncode}) on: {sql[:300]!r}")
        if p.stderr.strip():
            sys.stderr.write(p.stderr.decode(errors="replace"))
        return p.stdout.decode() if capture else None

    def rows(self, sql):
        out = self.run(sql, capture=True)
        return [line.split("\t") for line in out.splitlines() if line != ""]

    def value(self, sql):
        r = self.rows(sql)
        return r[0][0] if r else None

    def spawn(self):
        """A long-lived client reading statements from stdin (for the bulk load)."""
        cmd = self.base + ["--local-infile=1", "--show-warnings", self.a.database]
        return subprocess.Popen(cmd, stdin=subprocess.PIPE, env=self.env)


class Sink:
    """Collects TSV lines per table."""

    def __init__(self):
        self.rows = {}
        self.counts = {}

    def table(self, t):
        lst = self.rows.get(t)
        if lst is None:
            lst = self.rows[t] = []
        return lst.append

    def add(self, t, *fields):
        self.table(t)("\t".join(fields))

    def take(self):
        rows, self.rows = self.rows, {}
        for t, lst in rows.items():
            self.counts[t] = self.counts.get(t, 0) + len(lst)
        return rows


class Ids:
    """Next id per auto-increment table."""

    def __init__(self, start):
        self.next = dict(start)

    def take(self, t, n=1):
        v = self.next.get(t, 1)
        self.next[t] = v + n
        return v


# ---------------------------------------------------------------------------
# The shop model
# ---------------------------------------------------------------------------

class Shop:
    def __init__(self, prefix, seed, sink, ids):
        self.p = prefix
        self.seed = seed
        self.sink = sink
        self.ids = ids
        self.products = []   # (id, name, sku, price_cents, virtual)
        self.customers = []  # (user_id, first, last, email, city_idx, street, phone, company)
        self.coupons = []    # (post_id, code)
        self.group_ids = {}  # action scheduler group slug -> id
        self.cat_tt = []     # product_cat term_taxonomy ids
        self.existing_options = set()
        self.session_keys = set()  # customer ids that already have a session (session_key is unique)

    def rng(self, name):
        h = hashlib.sha256(f"{self.seed}/{name}".encode()).digest()
        return random.Random(int.from_bytes(h[:8], "big"))

    # -- posts --------------------------------------------------------------
    def post(self, pid, ptype, status, title, content, epoch, name="", parent=0, excerpt="", mime="",
             author=1, comment_status="closed", guid=None, menu_order=0, modified=None, comment_count=0):
        d_loc, d_gmt = dt(epoch + LOCAL_OFFSET), dt(epoch)
        mod = modified if modified is not None else epoch
        if guid is None:
            guid = f"https://shop.example/?p={pid}"
        self.sink.add("posts", str(pid), str(author), d_loc, d_gmt, esc(content), esc(title), esc(excerpt),
                      status, comment_status, "closed", "", name, "", "", dt(mod + LOCAL_OFFSET), dt(mod), "",
                      str(parent), guid, str(menu_order), ptype, mime, str(comment_count))

    def postmeta(self, pid, key, value):
        self.sink.add("postmeta", str(self.ids.take("postmeta")), str(pid), key, esc(value))

    def usermeta(self, uid, key, value):
        self.sink.add("usermeta", str(self.ids.take("usermeta")), str(uid), key, esc(value))

    def option(self, name, value, autoload="yes"):
        if name in self.existing_options:  # a real WordPress install's own value wins
            return
        self.sink.add("options", str(self.ids.take("options")), name, esc(value), autoload)

    def as_group(self, slug):
        gid = self.group_ids.get(slug)
        if gid is None:
            gid = self.ids.take("actionscheduler_groups")
            self.group_ids[slug] = gid
            self.sink.add("actionscheduler_groups", str(gid), slug)
        return gid

    def as_action(self, hook, status, epoch, args, group, logs=True, schedule='O:30:"ActionScheduler_SimpleSchedule":0:{}'):
        aid = self.ids.take("actionscheduler_actions")
        gid = self.as_group(group) if group else 0
        done = status in ("complete", "failed")
        la = dt(epoch + 5) if done else "0000-00-00 00:00:00"
        lal = dt(epoch + 5 + LOCAL_OFFSET) if done else "0000-00-00 00:00:00"
        self.sink.add("actionscheduler_actions", str(aid), hook, status, dt(epoch), dt(epoch + LOCAL_OFFSET), "10",
                      esc(args), esc(schedule), str(gid), "1" if done else "0", la, lal, "0", N)
        if logs:
            add = self.sink.table("actionscheduler_logs")
            msgs = ["action created"]
            if done:
                msgs += ["action started via WP Cron", "action complete via WP Cron" if status == "complete"
                         else "action failed via WP Cron: Call to undefined method WC_Order::get_foo()"]
            for i, m in enumerate(msgs):
                e = epoch - 60 + i * 62
                add(f"{self.ids.take('actionscheduler_logs')}\t{aid}\t{m}\t{dt(e)}\t{dt(e + LOCAL_OFFSET)}")
        return aid

    # -- static site data -----------------------------------------------------
    def gen_site(self, rng, n_products, big_rows=True):
        p = self.p
        t0 = SHOP_END - SHOP_SPAN - 30 * 86400
        # Terms: product categories, tags, product types, visibility, attributes.
        def term(name, slug, taxonomy, parent=0, count=0, desc=""):
            tid = self.ids.take("terms")
            ttid = self.ids.take("term_taxonomy")
            self.sink.add("terms", str(tid), esc(name), slug, "0")
            self.sink.add("term_taxonomy", str(ttid), str(tid), taxonomy, esc(desc), str(parent), str(count))
            return tid, ttid
        self.ptype_tt = {}
        for t in ("simple", "grouped", "variable", "external"):
            self.ptype_tt[t] = term(t, t, "product_type")[1]
        for t in ("exclude-from-search", "exclude-from-catalog", "featured", "outofstock",
                  "rated-1", "rated-2", "rated-3", "rated-4", "rated-5"):
            term(t, t, "product_visibility")
        cats = ["Küche & Haushalt", "Kleidung", "Accessoires", "Geschenke 🎁", "Tee & Kaffee ☕", "Deko",
                "和食器", "Sale", "Neu", "Bücher", "Schreibwaren", "Outdoor"]
        for i, c in enumerate(cats):
            tid, ttid = term(c, f"cat-{i}", "product_cat", desc=words(rng, 12))
            self.cat_tt.append(ttid)
            self.sink.add("termmeta", str(self.ids.take("termmeta")), str(tid), "order", str(i))
            self.sink.add("termmeta", str(self.ids.take("termmeta")), str(tid), "display_type", "")
            self.sink.add("termmeta", str(self.ids.take("termmeta")), str(tid), "thumbnail_id", "0")
        self.tag_tt = [term(f"tag {w}", f"tag-{i}", "product_tag")[1] for i, w in enumerate(WORDS[:40])]
        self.color_terms = [term(c, c.lower(), "pa_color") for c in ("Red", "Blue", "Green", "Black", "White", "Grün")]
        for i, (name, label) in enumerate([("color", "Color"), ("size", "Größe")]):
            self.sink.add("woocommerce_attribute_taxonomies", str(self.ids.take("woocommerce_attribute_taxonomies")),
                          name, label, "select", "menu_order", "0")
        # tax, shipping
        for cc, rate, name in (("DE", "19.0000", "MwSt."), ("AT", "20.0000", "USt."), ("FR", "20.0000", "TVA"),
                               ("", "0.0000", "Zero"), ("DE", "7.0000", "MwSt. ermäßigt")):
            tid = self.ids.take("woocommerce_tax_rates")
            self.sink.add("woocommerce_tax_rates", str(tid), cc, "", rate, name, "1", "0", "1", str(tid),
                          "reduced-rate" if rate == "7.0000" else "")
        for i, (name, slug) in enumerate((("Reduced rate", "reduced-rate"), ("Zero rate", "zero-rate"))):
            self.sink.add("wc_tax_rate_classes", str(self.ids.take("wc_tax_rate_classes")), name, slug)
        for zi, (zone, codes) in enumerate((("Deutschland", ["DE"]), ("EU", ["AT", "FR", "NL", "IT", "ES", "PL", "DK"]),
                                           ("Welt 🌍", ["US", "JP", "BR", "KR"]))):
            zid = self.ids.take("woocommerce_shipping_zones")
            self.sink.add("woocommerce_shipping_zones", str(zid), esc(zone), str(zi))
            for c in codes:
                self.sink.add("woocommerce_shipping_zone_locations", str(self.ids.take("woocommerce_shipping_zone_locations")),
                              str(zid), c, "country")
            for mi, m in enumerate(("flat_rate", "free_shipping", "local_pickup")):
                self.sink.add("woocommerce_shipping_zone_methods", str(zid),
                              str(self.ids.take("woocommerce_shipping_zone_methods")), m, str(mi), "1")
        # Admin user, shop manager.
        for login, role, disp in (("shopadmin", "administrator", "Shop Admin"), ("manager", "shop_manager", "Jörg Manager")):
            uid = self.ids.take("users")
            self.sink.add("users", str(uid), login, "$P$B" + hexid(rng, 30), login, f"{login}@shop.example",
                          "", dt(t0), "", "0", esc(disp))
            self.usermeta(uid, f"{p}capabilities", php_ser({role: True}))
            self.usermeta(uid, f"{p}user_level", "10" if role == "administrator" else "0")
            self.usermeta(uid, "session_tokens", php_ser({hexid(rng, 64): {"expiration": SHOP_END + 86400 * 14,
                          "ip": "203.0.113.7", "ua": UAS[0], "login": SHOP_END - 3600}}))
            if role == "administrator":
                self.admin_id = uid
                self.sink.add("woocommerce_api_keys", str(self.ids.take("woocommerce_api_keys")), str(uid),
                              "ERP sync", "read_write", hashlib.sha256(hexid(rng, 40).encode()).hexdigest(),
                              "cs_" + hexid(rng, 40), N, hexid(rng, 7), dt(SHOP_END - 120))
        # Products: post + ~22 postmeta + lookup + attachment.
        for i in range(n_products):
            pid = self.ids.take("posts")
            aid = self.ids.take("posts")
            name = f"{rng.choice(PRODUCT_ADJ)} {rng.choice(PRODUCT_NOUNS)} {i + 1}"
            sku = f"SKU-{i + 1:05d}"
            price = rng.choice((499, 999, 1290, 1499, 1990, 2490, 2999, 3990, 4990, 7990, 12900))
            virtual = 1 if "Gift Card" in name else 0
            epoch = t0 + rng.randrange(SHOP_SPAN // 2)
            slug = f"product-{i + 1}"
            desc = "<!-- wp:paragraph -->\n<p>" + words(rng, rng.randint(40, 160)) + "</p>\n<!-- /wp:paragraph -->"
            self.post(pid, "product", "publish", name, desc, epoch, name=slug, excerpt=words(rng, 20),
                      comment_status="open", guid=f"https://shop.example/product/{slug}/",
                      modified=epoch + rng.randrange(86400 * 200))
            ym = dt(epoch)[:7].replace("-", "/")
            self.post(aid, "attachment", "inherit", f"{slug}-image", "", epoch, name=f"{slug}-image", parent=pid,
                      mime="image/jpeg", guid=f"https://shop.example/wp-content/uploads/{ym}/{slug}.jpg")
            self.postmeta(aid, "_wp_attached_file", f"{ym}/{slug}.jpg")
            sizes = {s: {"file": f"{slug}-{w}x{w}.jpg", "width": w, "height": w, "mime-type": "image/jpeg",
                         "filesize": w * w // 5} for s, w in (("thumbnail", 150), ("medium", 300),
                                                              ("woocommerce_thumbnail", 324), ("woocommerce_single", 600))}
            self.postmeta(aid, "_wp_attachment_metadata", php_ser({"width": 1200, "height": 1200,
                          "file": f"{ym}/{slug}.jpg", "filesize": 287000 + i, "sizes": sizes,
                          "image_meta": {"aperture": "0", "credit": "", "camera": "", "caption": "",
                                         "created_timestamp": "0", "copyright": "", "focal_length": "0",
                                         "iso": "0", "shutter_speed": "0", "title": "", "orientation": "0",
                                         "keywords": []}}))
            stock = rng.randint(0, 500)
            sale = price - price // 5 if rng.random() < 0.15 else None
            for k, v in (("_sku", sku), ("_regular_price", money(price)), ("_sale_price", money(sale) if sale else ""),
                         ("_price", money(sale or price)), ("total_sales", "0"), ("_tax_status", "taxable"),
                         ("_tax_class", ""), ("_manage_stock", "yes"), ("_backorders", "no"),
                         ("_sold_individually", "no"), ("_virtual", "yes" if virtual else "no"),
                         ("_downloadable", "no"), ("_download_limit", "-1"), ("_download_expiry", "-1"),
                         ("_stock", str(stock)), ("_stock_status", "instock" if stock else "outofstock"),
                         ("_wc_average_rating", "0"), ("_wc_review_count", "0"), ("_product_version", WC_VERSION),
                         ("_thumbnail_id", str(aid)), ("_edit_last", str(self.admin_id)),
                         ("_product_attributes", php_ser({"pa_color": {"name": "pa_color", "value": "",
                          "position": 0, "is_visible": 1, "is_variation": 0, "is_taxonomy": 1}}))):
                self.postmeta(pid, k, v)
            self.sink.add("wc_product_meta_lookup", str(pid), sku, "", str(virtual), "0", money(sale or price) + "00",
                          money(sale or price) + "00", "1" if sale else "0", str(stock),
                          "instock" if stock else "outofstock", "0", "0.00", "0", "taxable", "")
            rel = self.sink.table("term_relationships")
            rel(f"{pid}\t{self.ptype_tt['simple']}\t0")
            for tt in sorted(set(rng.sample(self.cat_tt, 2))):
                rel(f"{pid}\t{tt}\t0")
            ctid, cttid = rng.choice(self.color_terms)
            rel(f"{pid}\t{cttid}\t0")
            self.sink.add("wc_product_attributes_lookup", str(pid), str(pid), "pa_color", str(ctid), "0",
                          "1" if stock else "0")
            self.products.append([pid, name, sku, sale or price, virtual])
        # Coupons
        for code in ("WELCOME10", "BLACKFRIDAY", "SOMMER2026", "VIP-15", "🎁GIFT"):
            cid = self.ids.take("posts")
            self.post(cid, "shop_coupon", "publish", code, "", t0 + rng.randrange(SHOP_SPAN), name=code.lower())
            for k, v in (("discount_type", "percent"), ("coupon_amount", "10"), ("usage_count", "0"),
                         ("individual_use", "no"), ("usage_limit", ""), ("free_shipping", "no")):
                self.postmeta(cid, k, v)
            self.coupons.append((cid, code))
        # Pages and blog posts with revisions.
        for i in range(25):
            pid = self.ids.take("posts")
            epoch = t0 + rng.randrange(SHOP_SPAN)
            body = "\n".join(f"<!-- wp:paragraph -->\n<p>{words(rng, 60)}</p>\n<!-- /wp:paragraph -->"
                             for _ in range(rng.randint(3, 30)))
            ptype = "page" if i < 8 else "post"
            self.post(pid, ptype, "publish", f"{ptype.title()} {i} – {words(rng, 3)}", body, epoch,
                      name=f"{ptype}-{i}", comment_status="open")
            self.postmeta(pid, "_edit_last", "1")
            for r in range(rng.randint(0, 3)):
                rid = self.ids.take("posts")
                self.post(rid, "revision", "inherit", f"{ptype.title()} {i}", body[: len(body) * (r + 1) // 4], epoch - 3600 * (r + 1),
                          name=f"{pid}-revision-v1", parent=pid)
        for i in range(12):
            mid = self.ids.take("posts")
            self.post(mid, "nav_menu_item", "publish", "", "", t0, name=str(mid), menu_order=i + 1)
            for k, v in (("_menu_item_type", "taxonomy"), ("_menu_item_object", "product_cat"),
                         ("_menu_item_object_id", str(i + 1)), ("_menu_item_url", ""), ("_menu_item_target", ""),
                         ("_menu_item_classes", php_ser([""])), ("_menu_item_menu_item_parent", "0")):
                self.postmeta(mid, k, v)
        # Rows of several MB.
        if big_rows:
            brng = self.rng("big")
            pool = [words(brng, 14) for _ in range(400)]
            def big_text(mb):
                out, size = [], 0
                while size < mb * 1024 * 1024:
                    s = f'<div class="elementor-element-{brng.getrandbits(24):06x}"><p>{brng.choice(pool)}</p></div>\n'
                    out.append(s)
                    size += len(s)
                return "".join(out)
            pid = self.ids.take("posts")
            self.post(pid, "page", "publish", "Lookbook 2026 (page builder)", big_text(6), SHOP_END - 86400 * 40,
                      name="lookbook-2026")
            self.postmeta(pid, "_elementor_data", '[{"id":"1a2b3c","elType":"section","settings":' + '{"html":"'
                          + big_text(3).replace('"', '\\"').replace("\n", "\\n") + '"}}]')
            self.option("elementor_remote_info_library", php_ser({"types_data": big_text(4), "timestamp": SHOP_END}),
                        autoload="no")
        # Options: WordPress core + WooCommerce + plugin ones.
        core = {"siteurl": "https://shop.example", "home": "https://shop.example", "blogname": "Strongbox Test-Shop ☕",
                "blogdescription": "Handgemachtes & 手作り", "users_can_register": "1", "admin_email": "admin@shop.example",
                "start_of_week": "1", "posts_per_page": "12", "date_format": "j. F Y", "time_format": "H:i",
                "permalink_structure": "/%postname%/", "active_plugins": php_ser(["woocommerce/woocommerce.php",
                "wordfence/wordfence.php", "strongbox/strongbox.php"]), "template": "storefront",
                "stylesheet": "storefront", "timezone_string": "Europe/Berlin", "WPLANG": "de_DE",
                "db_version": "53496", "show_avatars": "0",
                "woocommerce_custom_orders_table_enabled": "yes",
                "woocommerce_custom_orders_table_data_sync_enabled": "no",
                "woocommerce_custom_orders_table_created": "yes",
                "woocommerce_feature_hpos_enabled": "yes",
                "woocommerce_currency": "EUR", "woocommerce_version": WC_VERSION, "woocommerce_db_version": WC_VERSION,
                "woocommerce_default_country": "DE:BE", "woocommerce_calc_taxes": "yes",
                "woocommerce_prices_include_tax": "yes", "woocommerce_manage_stock": "yes",
                "woocommerce_hold_stock_minutes": "60", "woocommerce_notify_low_stock_amount": "2",
                "woocommerce_admin_notices": php_ser([]), "woocommerce_store_address": "Hauptstraße 1",
                "woocommerce_store_city": "Berlin", "woocommerce_store_postcode": "10115",
                "woocommerce_stripe_settings": php_ser({"enabled": "yes", "testmode": "no",
                    "publishable_key": "pk_live_" + hexid(rng, 24), "secret_key": "sk_live_" + hexid(rng, 24),
                    "webhook_secret": "whsec_" + hexid(rng, 32)}),
                "action_scheduler_hybrid_store_demarkation": "0", "schema-ActionScheduler_StoreSchema": "7.0.1669000000",
                "schema-ActionScheduler_LoggerSchema": "3.0.1669000000",
                "cron": php_ser({SHOP_END + 60: {"action_scheduler_run_queue": {"0f8eb2": {"schedule": "every_minute",
                    "args": [], "interval": 60}}}, SHOP_END + 3600: {"wp_version_check": {"40cd75": {"schedule":
                    "twicedaily", "args": [], "interval": 43200}}}, "version": 2}),
                }
        for k, v in core.items():
            self.option(k, v)
        for i in range(300):  # plugin settings and transients, lots of small rows
            if i % 3 == 0:
                self.option(f"_transient_timeout_wc_product_loop_{hexid(rng, 8)}", str(SHOP_END + rng.randrange(86400 * 30)), "no")
            elif i % 3 == 1:
                self.option(f"_transient_wc_related_{i}", php_ser([rng.randrange(1, 10 ** 6) for _ in range(rng.randint(1, 12))]), "no")
            else:
                self.option(f"wordfence_setting_{i}", words(rng, rng.randint(1, 30)))
        # Wordfence config with binary values.
        for i in range(60):
            self.sink.add("wfconfig", f"cfg_{i}", rng.randbytes(rng.choice((4, 16, 32, 200, 2000))).hex(),
                          rng.choice(("yes", "no")))
        for i in range(12):
            self.sink.add("woocommerce_payment_tokens", str(self.ids.take("woocommerce_payment_tokens")), "stripe",
                          "pm_" + hexid(rng, 24), "0", "CC", "0")

    # -- customers ------------------------------------------------------------
    def gen_customer(self, rng, epoch):
        p = self.p
        uid = self.ids.take("users")
        f, fs = rng.choice(FIRST)
        l, ls = rng.choice(LAST)
        login = f"{fs}.{ls}{uid}"
        email = f"{fs}.{ls}.{uid}@example.{rng.choice(('com', 'de', 'fr', 'jp', 'org'))}"
        ci = rng.randrange(len(CITIES))
        city, cc, st, pc = CITIES[ci]
        street = f"{rng.choice(STREETS)} {rng.randint(1, 200)}"
        phone = f"+{rng.randint(1, 99)} {rng.randint(100, 999)} {rng.randint(100000, 9999999)}" if rng.random() < 0.8 else ""
        company = rng.choice(COMPANIES)
        self.sink.add("users", str(uid), login, "$wp$2y$10$" + hexid(rng, 40), login[:50], email, "", dt(epoch), "", "0",
                      esc(f"{f} {l}"))
        um = self.sink.table("usermeta")
        nid = self.ids.take("usermeta", 36)
        vals = (("nickname", login), ("first_name", f), ("last_name", l), ("description", ""),
                ("rich_editing", "true"), ("syntax_highlighting", "true"), ("comment_shortcuts", "false"),
                ("admin_color", "fresh"), ("use_ssl", "0"), ("show_admin_bar_front", "true"), ("locale", ""),
                (f"{p}capabilities", 'a:1:{s:8:"customer";b:1;}'), (f"{p}user_level", "0"),
                ("dismissed_wp_pointers", ""), ("last_update", str(epoch)),
                ("billing_first_name", f), ("billing_last_name", l), ("billing_company", company or ""),
                ("billing_address_1", street), ("billing_address_2", ""), ("billing_city", city),
                ("billing_postcode", pc), ("billing_country", cc), ("billing_state", st), ("billing_phone", phone),
                ("billing_email", email), ("shipping_first_name", f), ("shipping_last_name", l),
                ("shipping_company", company or ""), ("shipping_address_1", street), ("shipping_address_2", ""),
                ("shipping_city", city), ("shipping_postcode", pc), ("shipping_country", cc),
                ("shipping_state", st), ("wc_last_active", str(epoch - epoch % 86400)))
        for i, (k, v) in enumerate(vals):
            um(f"{nid + i}\t{uid}\t{k}\t{esc(v)}")
        lid = self.ids.take("wc_customer_lookup")
        self.sink.add("wc_customer_lookup", str(lid), str(uid), login[:60], esc(f), esc(l), email, dt(epoch), dt(epoch),
                      cc, esc(pc), esc(city), st)
        c = (uid, f, l, email, ci, street, phone, company, lid)
        self.customers.append(c)
        return c

    # -- orders ---------------------------------------------------------------
    def gen_order(self, rng, epoch, status, customer, guest, now):
        """One order with everything that hangs off it. `now` is the shop clock (for updates)."""
        S = self.sink
        oid = self.ids.take("posts")
        d, dl = dt(epoch), dt(epoch + LOCAL_OFFSET)
        if guest or customer is None:
            f, fs = rng.choice(FIRST)
            l, ls = rng.choice(LAST)
            ci = rng.randrange(len(CITIES))
            email = f"{fs}.{ls}.g{oid}@example.net"
            street = f"{rng.choice(STREETS)} {rng.randint(1, 200)}"
            phone = f"+49 {rng.randint(100, 999)} {rng.randint(100000, 9999999)}"
            company = None
            cust_id, lookup_id = 0, 0
        else:
            cust_id, f, l, email, ci, street, phone, company, lookup_id = customer
        city, cc, st, pc = CITIES[ci]
        # items
        n_lines = rng.choice((1, 1, 1, 1, 1, 2, 2, 2, 3, 4))
        lines = []
        virtual_only = True
        for _ in range(n_lines):
            prod = rng.choice(self.products)
            qty = rng.choice((1, 1, 1, 1, 2, 2, 3, 5))
            lines.append((prod, qty))
            if not prod[4]:
                virtual_only = False
        coupon = rng.choice(self.coupons) if rng.random() < 0.12 else None
        subtotal = sum(pr[3] * q for pr, q in lines)
        discount = subtotal // 10 if coupon else 0
        ship = 0 if virtual_only or subtotal > 5000 else rng.choice((490, 590, 1290))
        # prices include 19% tax
        items_total = subtotal - discount
        tax = (items_total + ship) * 19 // 119
        ship_tax = ship * 19 // 119
        total = items_total + ship
        pm = rng.randrange(100)
        for cum, pay in PAY_CUM:
            if pm < cum:
                break
        txn = N
        if pay[0] == "stripe":
            txn = "pi_3" + hexid(rng, 21)
        elif pay[0] == "ppcp-gateway":
            txn = hexid(rng, 17).upper()
        paid = status in ("completed", "processing", "refunded")
        updated = epoch + (rng.randrange(86400 * 3) if status in ("completed", "refunded", "cancelled") else 0)
        if updated > now:
            updated = now
        date_paid = dt(epoch + 30) if paid else N
        date_completed = dt(updated) if status == "completed" else N
        note = rng.choice(NOTES)
        ua = rng.choice(UAS)
        ip = f"{rng.randint(1, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}" if rng.random() < 0.95 \
            else f"2001:db8:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
        order_key = "wc_order_" + hexid(rng, 13)
        # placeholder post (HPOS)
        S.add("posts", str(oid), "1", dl, d, "", "", "", "draft", "closed", "closed", "", "", "", "", dt(updated + LOCAL_OFFSET),
              dt(updated), "", "0", "", "0", "shop_order_placehold", "", "0")
        S.add("wc_orders", str(oid), "wc-" + status, "EUR", "shop_order", dec8(tax), dec8(total), str(cust_id), email, d,
              dt(updated), "0", pay[0], esc(pay[1]), txn, ip, ua, esc(note) if note is not None else N)
        aid = self.ids.take("wc_order_addresses", 2)
        comp = esc(company) if company else N
        S.add("wc_order_addresses", str(aid), str(oid), "billing", esc(f), esc(l), comp, esc(street), N, esc(city), st, esc(pc),
              cc, email, phone)
        if not virtual_only:
            S.add("wc_order_addresses", str(aid + 1), str(oid), "shipping", esc(f), esc(l), comp, esc(street),
                  "c/o Packstation 123" if rng.random() < 0.05 else N, esc(city), st, esc(pc), cc, N, N)
        S.add("wc_order_operational_data", str(self.ids.take("wc_order_operational_data")), str(oid), "checkout", WC_VERSION,
              "1", "1" if coupon else "0", "1" if paid else "0", hexid(rng, 32), "1", order_key, "1" if paid else "0",
              date_paid, date_completed, dec8(ship_tax), dec8(ship), "0.00000000", dec8(discount), "1" if paid else "0")
        om = S.table("wc_orders_meta")
        mid = self.ids.take("wc_orders_meta", 6)
        om(f"{mid}\t{oid}\tis_vat_exempt\tno")
        om(f"{mid + 1}\t{oid}\t_billing_address_index\t{esc(f)} {esc(l)}  {esc(street)}  {esc(city)} {st} {esc(pc)} {cc} {email} {phone}")
        om(f"{mid + 2}\t{oid}\t_shipping_address_index\t{esc(f)} {esc(l)}  {esc(street)}  {esc(city)} {st} {esc(pc)} {cc}")
        om(f"{mid + 3}\t{oid}\t_order_attribution_source_type\t{rng.choice(('organic', 'typein', 'referral', 'utm'))}")
        om(f"{mid + 4}\t{oid}\t_order_attribution_device_type\t{rng.choice(('Desktop', 'Mobile', 'Tablet'))}")
        om(f"{mid + 5}\t{oid}\t_order_attribution_session_pages\t{rng.randint(1, 30)}")
        if pay[0] == "stripe":
            om(f"{self.ids.take('wc_orders_meta')}\t{oid}\t_stripe_fee\t{money(total * 14 // 1000 + 25)}")
            om(f"{self.ids.take('wc_orders_meta')}\t{oid}\t_stripe_net\t{money(total - total * 14 // 1000 - 25)}")
        # order items
        oi = S.table("woocommerce_order_items")
        im = S.table("woocommerce_order_itemmeta")
        pl = S.table("wc_order_product_lookup")
        n_items = 0
        for prod, qty in lines:
            iid = self.ids.take("woocommerce_order_items")
            pid, pname, sku, price, virt = prod
            lsub = price * qty
            ldisc = lsub // 10 if coupon else 0
            ltot = lsub - ldisc
            ltax = ltot * 19 // 119
            lsubtax = lsub * 19 // 119
            oi(f"{iid}\t{esc(pname)}\tline_item\t{oid}")
            m = self.ids.take("woocommerce_order_itemmeta", 10)
            tot_net, sub_net = money(ltot - ltax), money(lsub - lsubtax)
            t_s, st_s = money(ltax), money(lsubtax)
            im(f"{m}\t{iid}\t_product_id\t{pid}")
            im(f"{m + 1}\t{iid}\t_variation_id\t0")
            im(f"{m + 2}\t{iid}\t_qty\t{qty}")
            im(f"{m + 3}\t{iid}\t_tax_class\t")
            im(f"{m + 4}\t{iid}\t_line_subtotal\t{sub_net}")
            im(f"{m + 5}\t{iid}\t_line_subtotal_tax\t{st_s}")
            im(f"{m + 6}\t{iid}\t_line_total\t{tot_net}")
            im(f"{m + 7}\t{iid}\t_line_tax\t{t_s}")
            im(f'{m + 8}\t{iid}\t_line_tax_data\ta:2:{{s:5:"total";a:1:{{i:1;s:{len(t_s)}:"{t_s}";}}s:8:"subtotal";a:1:{{i:1;s:{len(st_s)}:"{st_s}";}}}}')
            im(f"{m + 9}\t{iid}\t_reduced_stock\t{qty}")
            pl(f"{iid}\t{oid}\t{pid}\t0\t{lookup_id or N}\t{dl}\t{qty}\t{money(ltot - ltax)}\t{money(ltot)}\t{money(ldisc)}\t{t_s}\t0\t0")
            n_items += qty
        if ship:
            iid = self.ids.take("woocommerce_order_items")
            oi(f"{iid}\tVersand (DHL)\tshipping\t{oid}")
            m = self.ids.take("woocommerce_order_itemmeta", 6)
            sts = money(ship_tax)
            im(f"{m}\t{iid}\tmethod_id\tflat_rate")
            im(f"{m + 1}\t{iid}\tinstance_id\t1")
            im(f"{m + 2}\t{iid}\tcost\t{money(ship - ship_tax)}")
            im(f"{m + 3}\t{iid}\ttotal_tax\t{sts}")
            im(f'{m + 4}\t{iid}\ttaxes\ta:1:{{s:5:"total";a:1:{{i:1;s:{len(sts)}:"{sts}";}}}}')
            im(f"{m + 5}\t{iid}\tItems\t{esc(lines[0][0][1])} &times; {lines[0][1]}")
        iid = self.ids.take("woocommerce_order_items")
        oi(f"{iid}\tDE-MWST.-1\ttax\t{oid}")
        m = self.ids.take("woocommerce_order_itemmeta", 7)
        for k, (key, val) in enumerate((("rate_id", "1"), ("label", "MwSt."), ("compound", ""),
                                        ("tax_amount", money(tax - ship_tax)), ("shipping_tax_amount", money(ship_tax)),
                                        ("rate_code", "DE-MWST.-1"), ("rate_percent", "19"))):
            im(f"{m + k}\t{iid}\t{key}\t{val}")
        if coupon:
            iid = self.ids.take("woocommerce_order_items")
            oi(f"{iid}\t{esc(coupon[1].lower())}\tcoupon\t{oid}")
            m = self.ids.take("woocommerce_order_itemmeta", 3)
            im(f"{m}\t{iid}\tdiscount_amount\t{money(discount - discount * 19 // 119)}")
            im(f"{m + 1}\t{iid}\tdiscount_amount_tax\t{money(discount * 19 // 119)}")
            im(f'{m + 2}\t{iid}\tcoupon_info\t[{coupon[0]},"{esc(coupon[1].lower())}","percent",10]')
            S.add("wc_order_coupon_lookup", str(oid), str(coupon[0]), dl, money(discount))
        S.add("wc_order_stats", str(oid), "0", dl, d, dt(epoch + 30 + LOCAL_OFFSET) if paid else N,
              dt(updated + LOCAL_OFFSET) if status == "completed" else N, str(n_items), money(total), money(tax),
              money(ship - ship_tax), money(total - tax - (ship - ship_tax)), "1" if cust_id and rng.random() < 0.4 else "0",
              "wc-" + status, str(lookup_id))
        S.add("wc_order_tax_lookup", str(oid), str(TAX_RATE_ID), dl, money(ship_tax), money(tax - ship_tax), money(tax))
        # order notes (comments)
        self.order_note(oid, epoch + 31, "Status: Zahlung ausstehend → In Bearbeitung." if paid else "Status: Zahlung ausstehend.")
        if pay[0] == "stripe" and paid:
            self.order_note(oid, epoch + 32, f"Stripe: ch_{hexid(rng, 24)}")
        if status in ("completed", "refunded", "cancelled"):
            self.order_note(oid, updated, f"Status → {status}.")
        # Action Scheduler: analytics import for each order; completed actions are
        # purged after 31 days (Action Scheduler's default retention).
        if now - epoch < 31 * 86400:
            self.as_action("wc-admin_import_orders", "complete", epoch + 5, f"[{oid}]", "wc-admin-data")
        if status == "refunded":
            rid = self.ids.take("posts")
            S.add("posts", str(rid), "1", dt(updated + LOCAL_OFFSET), dt(updated), "", "", "", "draft", "closed", "closed",
                  "", "", "", "", dt(updated + LOCAL_OFFSET), dt(updated), "", str(oid), "", "0", "shop_order_placehold", "", "0")
            S.add("wc_orders", str(rid), "wc-completed", "EUR", "shop_order_refund", dec8(-tax), dec8(-total), "0", N, dt(updated),
                  dt(updated), str(oid), N, N, N, N, N, N)
            S.add("wc_order_stats", str(rid), str(oid), dt(updated + LOCAL_OFFSET), dt(updated), N, N, str(-n_items),
                  money(-total), money(-tax), "0", money(tax - total),
                  "0", "wc-completed", str(lookup_id))
        return oid, lines, total

    def order_note(self, oid, epoch, text):
        cid = self.ids.take("comments")
        self.sink.add("comments", str(cid), str(oid), "WooCommerce", "woocommerce@shop.example", "", "", dt(epoch + LOCAL_OFFSET),
                      dt(epoch), esc(text), "0", "1", "WooCommerce", "order_note", "0", "0")
        return cid

    def gen_review(self, rng, pid, epoch, customer):
        cid = self.ids.take("comments")
        uid, f, l, email = customer[:4]
        text = rng.choice(("Super Qualität! 👍", "Sehr schön, gerne wieder.", "とても良いです ✨",
                           "Arrived broken.\nSecond one was fine.", words(rng, 40)))
        self.sink.add("comments", str(cid), str(pid), esc(f"{f} {l}"), email, "", "203.0.113.9", dt(epoch + LOCAL_OFFSET),
                      dt(epoch), esc(text), "0", "1", UAS[0], "review", "0", str(uid))
        self.sink.add("commentmeta", str(self.ids.take("commentmeta")), str(cid), "rating", str(rng.randint(1, 5)))
        self.sink.add("commentmeta", str(self.ids.take("commentmeta")), str(cid), "verified", "1")

    def gen_session(self, rng, expiry, customer_id=None):
        sid = self.ids.take("woocommerce_sessions")
        if customer_id and str(customer_id) not in self.session_keys:
            key = str(customer_id)
        else:
            key, customer_id = "t_" + hexid(rng, 30), None
        self.session_keys.add(key)
        cart = {hexid(rng, 32): {"key": "", "product_id": rng.choice(self.products)[0], "variation_id": 0,
                                 "variation": [], "quantity": rng.randint(1, 3), "data_hash": hexid(rng, 32),
                                 "line_tax_data": {"subtotal": [], "total": []}, "line_subtotal": 19.9,
                                 "line_subtotal_tax": 0, "line_total": 19.9, "line_tax": 0}
                for _ in range(rng.randint(0, 3))}
        value = php_ser({"cart": php_ser(cart), "cart_totals": php_ser({"subtotal": "19.90", "total": "24.80"}),
                         "applied_coupons": php_ser([]), "customer": php_ser({"id": str(customer_id or 0),
                         "country": "DE", "email": ""}), "chosen_shipping_methods": php_ser(["flat_rate:1"])})
        self.sink.add("woocommerce_sessions", str(sid), key, esc(value), str(expiry))

    def gen_traffic(self, rng, epoch, n):
        pv = self.sink.table("analytics_pageviews")
        wh = self.sink.table("wfhits")
        for _ in range(n):
            e = epoch + rng.randrange(3600)
            path = rng.choice(("/", "/shop/", "/cart/", "/checkout/", f"/product/product-{rng.randint(1, 999)}/",
                               "/my-account/", "/wp-login.php", "/?s=tasse"))
            ip4 = bytes((rng.randint(1, 223), rng.randrange(256), rng.randrange(256), rng.randint(1, 254)))
            ref = rng.choice((N, N, "https://www.google.com/", "https://www.instagram.com/", "https://duckduckgo.com/"))
            pv(f"{dt(e)}\t{rng.randbytes(16).hex()}\t{ip4.hex()}\t{path}\t{ref}\t{rng.choice(('desktop', 'mobile', 'tablet'))}\t{rng.choice((200, 200, 200, 200, 301, 404))}")
            if rng.random() < 0.25:
                mapped = (b"\0" * 10 + b"\xff\xff" + ip4).hex()
                wh(f"{self.ids.take('wfhits')}\t{e}.{rng.randrange(10 ** 6):06d}\t{e}.{rng.randrange(10 ** 6):06d}\t{mapped}\t1\t200\t0\t0\t1\thttps://shop.example{path}\t{ref}\t{rng.choice(UAS)}\t\t{N}\t{N}")


# ---------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------

def load_sql(prefix, table, path):
    cols, sets = [], []
    for c in COLS[table]:
        if c.startswith("@hex:"):
            c = c[5:]
            cols.append(f"@h_{c}")
            sets.append(f"`{c}` = UNHEX(@h_{c})")
        else:
            cols.append(f"`{c}`")
    s = (f"LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{prefix}{table}` CHARACTER SET utf8mb4 "
         f"FIELDS TERMINATED BY '\\t' ESCAPED BY '\\\\' LINES TERMINATED BY '\\n' ({', '.join(cols)})")
    if sets:
        s += " SET " + ", ".join(sets)
    return s + ";\n"


def sql_literal(field, hexcol):
    if field == N:
        return "NULL"
    if hexcol:
        return f"UNHEX('{field}')" if field else "''"
    # TSV escapes (\\ \t \n \r \0) are valid MySQL string escapes as well.
    return "'" + field.replace("'", "\\'") + "'"


def insert_sql(prefix, table, lines, chunk=500):
    cols = COLS[table]
    hexflags = [c.startswith("@hex:") for c in cols]
    names = ", ".join(f"`{c[5:] if c.startswith('@hex:') else c}`" for c in cols)
    out = []
    for i in range(0, len(lines), chunk):
        vals = []
        for line in lines[i:i + chunk]:
            fields = line.split("\t")
            if len(fields) != len(cols):
                raise SystemExit(f"gen_shop: internal error: {table} row has {len(fields)} fields, want {len(cols)}")
            vals.append("(" + ",".join(sql_literal(f, h) for f, h in zip(fields, hexflags)) + ")")
        out.append(f"INSERT INTO `{prefix}{table}` ({names}) VALUES\n" + ",\n".join(vals) + ";\n")
    return "".join(out)


class Loader:
    """Feeds batches of TSV files to one long-lived mariadb client, in the background."""

    def __init__(self, db, prefix, tmpdir):
        self.db, self.prefix, self.tmpdir = db, prefix, tmpdir
        self.q = queue.Queue(maxsize=1)
        self.proc = db.spawn()
        self.proc.stdin.write(b"SET SESSION unique_checks=0; SET SESSION foreign_key_checks=0; "
                              b"SET SESSION sql_mode='NO_ENGINE_SUBSTITUTION'; SET autocommit=0;\n")
        self.error = None
        self.batch = 0
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self):
        while True:
            item = self.q.get()
            if item is None:
                return
            files = item
            try:
                sql = "".join(load_sql(self.prefix, t, path) for t, path in files)
                self.proc.stdin.write(sql.encode())
                self.proc.stdin.flush()
            except BrokenPipeError:
                self.error = "mariadb client exited"
                return

    def put(self, rows):
        if self.proc.poll() is not None:
            raise SystemExit(f"gen_shop: mariadb client exited with {self.proc.returncode} while loading")
        self.batch += 1
        files = []
        for t, lines in rows.items():
            if not lines:
                continue
            path = os.path.join(self.tmpdir, f"{t}-{self.batch}-.tsv")
            with open(path, "w", encoding="utf-8", newline="\n") as fh:
                fh.write("\n".join(lines))
                fh.write("\n")
            files.append((t, path))
        if files:
            self.q.put(files)

    def finish(self):
        self.q.put(None)
        self.thread.join()
        try:
            self.proc.stdin.write(b"COMMIT;\n")
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.proc.wait()
        if rc != 0 or self.error:
            raise SystemExit(f"gen_shop: loading failed (mariadb client exit {rc}) {self.error or ''}")


# ---------------------------------------------------------------------------
# Modes
# ---------------------------------------------------------------------------

def existing_tables(db, prefix):
    like = prefix.replace("_", "\\_") + "%"
    return {r[0] for r in db.rows(f"SHOW TABLES LIKE '{like}'")}


def next_ids(db, prefix, present):
    parts = []
    for t, col in ID_COLS.items():
        if prefix + t in present:
            parts.append(f"SELECT '{t}', COALESCE(MAX(`{col}`), 0) + 1 FROM `{prefix}{t}`")
    start = {}
    if parts:
        for t, v in db.rows(" UNION ALL ".join(parts)):
            start[t] = int(v)
    return start


def bulk(a, db):
    t_start = time.time()
    p = a.prefix
    db.run(f"CREATE DATABASE IF NOT EXISTS `{a.database}` CHARACTER SET utf8mb4 COLLATE {COLLATE}", database=False)
    present = existing_tables(db, p)
    if a.reset and present:
        print(f"gen_shop: --reset: dropping {len(present)} tables with prefix {p!r} in {a.database}", file=sys.stderr)
        db.run("SET foreign_key_checks=0;\n" + "".join(f"DROP TABLE IF EXISTS `{t}`;\n" for t in sorted(present)))
        present = set()
    if p + "wc_orders" in present and db.value(f"SELECT COUNT(*) FROM `{p}wc_orders`") != "0":
        raise SystemExit(f"gen_shop: {a.database}.{p}wc_orders already has orders; use --reset to regenerate "
                         f"or --mutate-hour to add activity")
    created, deferred = [], {}
    ddl = []
    for t, body in SCHEMA.items():
        if p + t in present:
            continue
        main, secondary = split_schema(body)
        if a.orders < 20000:  # small shops: indexes right away (fewer DDL statements, faster)
            main, secondary = main + secondary, []
        ddl.append(f"CREATE TABLE `{p}{t}` (\n  " + ",\n  ".join(main) +
                   f"\n) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE={COLLATE};\n")
        created.append(t)
        if secondary:
            deferred[t] = secondary
    if ddl:
        db.run("".join(ddl))
    kept = sorted(t for t in SCHEMA if p + t in present)
    print(f"gen_shop: {a.database}: created {len(created)} tables, kept {len(kept)} existing"
          + (f" ({', '.join(kept)})" if kept else ""), file=sys.stderr)
    start = next_ids(db, p, present)
    ids = Ids(start)
    sink = Sink()
    shop = Shop(p, a.seed, sink, ids)
    if p + "options" in present:
        shop.existing_options = {r[0] for r in db.rows(f"SELECT option_name FROM `{p}options`")}
    n_orders = a.orders
    n_products = a.products if a.products is not None else min(2000, max(20, n_orders // 50))
    n_customers = a.customers if a.customers is not None else max(10, n_orders // 5)
    tmp_parent = os.path.join(a.work, "tmp")
    os.makedirs(tmp_parent, exist_ok=True)
    tmpdir = tempfile.mkdtemp(prefix="gen_shop-", dir=tmp_parent)
    try:
        loader = Loader(db, p, tmpdir)
        rng = shop.rng("site")
        shop.gen_site(rng, n_products, big_rows=not a.no_big_rows)
        crng = shop.rng("customers")
        t0 = SHOP_END - SHOP_SPAN
        for i in range(n_customers):
            shop.gen_customer(crng, t0 + (SHOP_SPAN * i) // max(1, n_customers) + crng.randrange(3600))
        rrng = shop.rng("reviews")
        for prod in shop.products:
            for _ in range(rrng.choice((0, 0, 1, 2, 4))):
                shop.gen_review(rrng, prod[0], t0 + rrng.randrange(SHOP_SPAN), rrng.choice(shop.customers))
        srng = shop.rng("sessions")
        for i in range(max(10, n_orders // 40)):
            cust = srng.choice(shop.customers)[0] if srng.random() < 0.3 else None
            shop.gen_session(srng, SHOP_END + srng.randrange(-86400, 86400 * 2), cust)
        trng = shop.rng("traffic")
        for h in range(max(1, n_orders // 100)):
            shop.gen_traffic(trng, SHOP_END - (h + 1) * 3600 * 7, 30)
        for i in range(20):  # pending recurring actions
            shop.as_action(trng.choice(("woocommerce_cleanup_draft_orders", "wc-admin_data_sync_products",
                                        "woocommerce_scheduled_sales", "wc_stripe_refresh_tokens")),
                           "pending", SHOP_END + 600 * (i + 1), "[]", "woocommerce", logs=True,
                           schedule='O:32:"ActionScheduler_IntervalSchedule":0:{}')
        loader.put(sink.take())
        orng = shop.rng("orders")
        statuses = (["completed"] * 85 + ["cancelled"] * 4 + ["refunded"] * 3 + ["failed"] * 4 + ["on-hold"] * 2
                    + ["pending"] * 2)
        batch = 5000
        for i in range(n_orders):
            epoch = t0 + (SHOP_SPAN * i) // max(1, n_orders) + orng.randrange(max(1, SHOP_SPAN // max(1, n_orders)))
            status = "processing" if SHOP_END - epoch < 2 * 86400 else orng.choice(statuses)
            guest = orng.random() < 0.3
            shop.gen_order(orng, epoch, status, orng.choice(shop.customers), guest, SHOP_END)
            if (i + 1) % batch == 0:
                loader.put(sink.take())
                if a.verbose:
                    print(f"gen_shop: {i + 1} orders generated ({time.time() - t_start:.1f} s)", file=sys.stderr)
        loader.put(sink.take())
        t_gen = time.time() - t_start
        loader.finish()
        t_load = time.time() - t_start
        if deferred:
            db.run("SET SESSION sql_mode='NO_ENGINE_SUBSTITUTION';\n" + "".join(
                f"ALTER TABLE `{p}{t}` " + ", ".join("ADD " + k for k in keys) + ";\n" for t, keys in deferred.items()))
        t_idx = time.time() - t_start
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)
    # verify row counts
    expect = dict(sink.counts)
    parts = [f"SELECT '{t}', COUNT(*) FROM `{p}{t}`" for t in expect]
    got = {t: int(v) for t, v in db.rows(" UNION ALL ".join(parts))}
    bad = []
    for t, n in expect.items():
        if t in created:
            if got[t] != n:
                bad.append(f"{t}: generated {n}, table has {got[t]}")
    total = sum(expect.values())
    print(f"gen_shop: {n_orders} orders, {n_products} products, {n_customers} customers: {total} rows in "
          f"{len(expect)} tables; generated in {t_gen:.1f} s, loaded by {t_load:.1f} s, indexed by {t_idx:.1f} s",
          file=sys.stderr)
    if bad:
        raise SystemExit("gen_shop: row count mismatch (duplicate keys or bad data?):\n  " + "\n  ".join(bad))


def mutate_hour(a, db):
    t_start = time.time()
    p = a.prefix
    present = existing_tables(db, p)
    missing = [t for t in SCHEMA if p + t not in present]
    if missing:
        raise SystemExit(f"gen_shop: --mutate-hour needs a generated shop; missing tables: {', '.join(missing[:5])}")
    # The shop clock: the hour after the latest order activity, aligned to a full hour.
    now_s = db.value(f"SELECT MAX(UNIX_TIMESTAMP(GREATEST(date_created_gmt, date_updated_gmt))) FROM `{p}wc_orders` "
                     f"WHERE type='shop_order'")
    if now_s in (None, "NULL"):
        raise SystemExit("gen_shop: --mutate-hour: no orders in the database")
    now = int(float(now_s))
    hour_start = now - now % 3600 + 3600
    hour_end = hour_start + 3600
    ids = Ids(next_ids(db, p, present))
    sink = Sink()
    shop = Shop(p, f"{a.seed}/hour/{hour_start}", sink, ids)
    rng = shop.rng("hour")
    # context from the database
    shop.products = [[int(r[0]), r[1], r[2], int(round(float(r[3]) * 100)), int(r[4])] for r in db.rows(
        f"SELECT l.product_id, p.post_title, l.sku, COALESCE(l.min_price, 0), l.virtual FROM `{p}wc_product_meta_lookup` l "
        f"JOIN `{p}posts` p ON p.ID = l.product_id ORDER BY l.product_id")]
    if not shop.products:
        raise SystemExit("gen_shop: --mutate-hour: no products")
    shop.coupons = [(int(r[0]), r[1]) for r in db.rows(
        f"SELECT ID, post_title FROM `{p}posts` WHERE post_type='shop_coupon' ORDER BY ID")] or [(0, "none")]
    city_idx = {c[0]: i for i, c in enumerate(CITIES)}
    for r in db.rows(f"SELECT user_id, first_name, last_name, email, city, customer_id FROM `{p}wc_customer_lookup` "
                     f"WHERE user_id IS NOT NULL ORDER BY customer_id"):
        shop.customers.append((int(r[0]), r[1], r[2], r[3], city_idx.get(r[4], 0), "Hauptstraße 1", "", None, int(r[5])))
    shop.session_keys = {r[0] for r in db.rows(f"SELECT session_key FROM `{p}woocommerce_sessions` WHERE session_key NOT LIKE 't\\_%'")}
    for r in db.rows(f"SELECT group_id, slug FROM `{p}actionscheduler_groups`"):
        shop.group_ids[r[1]] = int(r[0])
    n_orders_total = int(db.value(f"SELECT COUNT(*) FROM `{p}wc_orders`"))
    per_hour = max(5, n_orders_total // 2000)
    sql = ["SET SESSION sql_mode='NO_ENGINE_SUBSTITUTION';\nSTART TRANSACTION;\n"]
    # new customers first (some orders come from them)
    new_customers = [shop.gen_customer(rng, hour_start + rng.randrange(3600)) for _ in range(max(1, per_hour // 4))]
    # new orders
    bought = {}
    new_orders = []
    for i in range(per_hour):
        epoch = hour_start + (3600 * i) // per_hour + rng.randrange(max(1, 3600 // per_hour))
        cust = rng.choice(new_customers) if rng.random() < 0.2 else (rng.choice(shop.customers) if shop.customers else None)
        status = rng.choice(("processing",) * 7 + ("pending", "on-hold", "failed"))
        oid, lines, total = shop.gen_order(rng, epoch, status, cust, rng.random() < 0.3, hour_end)
        new_orders.append(oid)
        if status in ("processing", "on-hold"):
            for prod, qty in lines:
                bought[prod[0]] = bought.get(prod[0], 0) + qty
    # sessions and traffic
    for _ in range(per_hour * 3):
        shop.gen_session(rng, hour_end + 86400 * 2, rng.choice(shop.customers)[0] if rng.random() < 0.3 else None)
    shop.gen_traffic(rng, hour_start, per_hour * 40)
    # new pending actions (emails, webhooks) created this hour
    for oid in new_orders[: max(1, len(new_orders) // 3)]:
        shop.as_action("woocommerce_deliver_webhook_async", "pending", hour_end + rng.randrange(600), f'{{"webhook_id":1,"arg":{oid}}}',
                       "woocommerce-webhooks")
    rows = sink.take()
    for t, lines in rows.items():
        sql.append(insert_sql(p, t, lines))
    # stock changes for what was bought, plus a restock
    for pid, q in sorted(bought.items()):
        sql.append(f"UPDATE `{p}wc_product_meta_lookup` SET stock_quantity = stock_quantity - {q}, total_sales = total_sales + {q} "
                   f"WHERE product_id = {pid};\n")
        sql.append(f"UPDATE `{p}postmeta` SET meta_value = CAST(meta_value AS SIGNED) - {q} WHERE post_id = {pid} AND meta_key = '_stock';\n")
        sql.append(f"UPDATE `{p}postmeta` SET meta_value = CAST(meta_value AS SIGNED) + {q} WHERE post_id = {pid} AND meta_key = 'total_sales';\n")
    for prod in rng.sample(shop.products, min(2, len(shop.products))):
        sql.append(f"UPDATE `{p}wc_product_meta_lookup` SET stock_quantity = stock_quantity + 50, stock_status='instock' WHERE product_id = {prod[0]};\n")
        sql.append(f"UPDATE `{p}postmeta` SET meta_value = CAST(meta_value AS SIGNED) + 50 WHERE post_id = {prod[0]} AND meta_key = '_stock';\n")
    # status changes: recent processing orders get completed, a few random old ones refunded/cancelled
    recent = [int(r[0]) for r in db.rows(f"SELECT id FROM `{p}wc_orders` WHERE type='shop_order' AND status='wc-processing' "
                                         f"ORDER BY id DESC LIMIT {per_hour * 2}")]
    recent = sorted(rng.sample(recent, min(len(recent), max(3, per_hour // 2))))
    max_id = int(db.value(f"SELECT MAX(id) FROM `{p}wc_orders`"))
    min_id = int(db.value(f"SELECT MIN(id) FROM `{p}wc_orders`"))
    picks = [rng.randint(min_id, max_id) for _ in range(max(3, per_hour // 2))]
    old = sorted({int(r[0]) for r in db.rows(" UNION ALL ".join(
        f"(SELECT id FROM `{p}wc_orders` WHERE type='shop_order' AND id >= {x} ORDER BY id LIMIT 1)" for x in picks))}
        - set(recent))
    changes = [(oid, "completed") for oid in recent] + [(oid, rng.choice(("refunded", "cancelled", "completed"))) for oid in old]
    for oid, st in changes:
        e = hour_start + rng.randrange(3600)
        sql.append(f"UPDATE `{p}wc_orders` SET status='wc-{st}', date_updated_gmt='{dt(e)}' WHERE id={oid} AND type='shop_order';\n")
        sql.append(f"UPDATE `{p}wc_order_stats` SET status='wc-{st}'" + (f", date_completed='{dt(e + LOCAL_OFFSET)}'" if st == "completed" else "")
                   + f" WHERE order_id={oid};\n")
        if st == "completed":
            sql.append(f"UPDATE `{p}wc_order_operational_data` SET date_completed_gmt='{dt(e)}' WHERE order_id={oid};\n")
        sql.append(f"UPDATE `{p}posts` SET post_modified='{dt(e + LOCAL_OFFSET)}', post_modified_gmt='{dt(e)}' WHERE ID={oid};\n")
        shop.order_note(oid, e, f"Bestellstatus auf {st} geändert.")
        shop.as_action("woocommerce_order_status_changed", "complete", e, f"[{oid}]", "woocommerce")
    for t, lines in sink.take().items():
        sql.append(insert_sql(p, t, lines))
    # options: admin notices, last-run markers, a new transient, expired ones deleted.
    # (WordPress's own `cron` option is left alone: a real install's schedule must keep working.)
    for name, val in (("woocommerce_admin_last_orders_milestone", str(n_orders_total + len(new_orders))),
                      ("wc_stripe_last_webhook", php_ser({"time": hour_end - rng.randrange(600), "id": "evt_" + hexid(rng, 24)})),
                      ("woocommerce_tracker_last_send", str(hour_end - rng.randrange(3600)))):
        sql.append(f"INSERT INTO `{p}options` (option_name, option_value, autoload) VALUES ('{name}', {sql_literal(esc(val), False)}, 'yes') "
                   f"ON DUPLICATE KEY UPDATE option_value=VALUES(option_value);\n")
    sql.append(f"UPDATE `{p}options` SET option_value={sql_literal(php_ser(['wc_low_stock_' + str(rng.randrange(10 ** 6))]), False)} "
               f"WHERE option_name='woocommerce_admin_notices';\n")
    tname = f"_transient_wc_report_sales_{hexid(rng, 10)}"
    sql.append(f"INSERT INTO `{p}options` (option_name, option_value, autoload) VALUES ('{tname}', "
               f"{sql_literal(esc(php_ser([rng.randrange(10 ** 5) for _ in range(50)])), False)}, 'no') "
               f"ON DUPLICATE KEY UPDATE option_value=VALUES(option_value);\n")
    sql.append(f"INSERT INTO `{p}options` (option_name, option_value, autoload) VALUES ('_transient_timeout_{tname[11:]}', '{hour_end + 86400}', 'no') "
               f"ON DUPLICATE KEY UPDATE option_value=VALUES(option_value);\n")
    sql.append(f"DELETE FROM `{p}options` WHERE option_name LIKE '\\_transient\\_timeout\\_wc\\_product\\_loop\\_%' "
               f"ORDER BY option_id LIMIT 2;\n")
    sql.append(f"INSERT INTO `{p}options` (option_name, option_value, autoload) VALUES ('action_scheduler_lock_async-request-runner', "
               f"'{hexid(rng, 13)}|{hour_end}', 'no') ON DUPLICATE KEY UPDATE option_value=VALUES(option_value);\n")
    # Action Scheduler: pending recurring actions run, old completed ones cleaned up
    sql.append(f"UPDATE `{p}actionscheduler_actions` SET status='complete', attempts=attempts+1, last_attempt_gmt='{dt(hour_start + 60)}', "
               f"last_attempt_local='{dt(hour_start + 60 + LOCAL_OFFSET)}' WHERE status='pending' AND scheduled_date_gmt <= '{dt(hour_end)}' "
               f"ORDER BY action_id LIMIT 10;\n")
    sql.append(f"CREATE TEMPORARY TABLE sbx_old AS SELECT action_id FROM `{p}actionscheduler_actions` WHERE status='complete' "
               f"AND scheduled_date_gmt < '{dt(hour_start - 31 * 86400)}' ORDER BY action_id LIMIT {per_hour * 2};\n"
               f"DELETE l FROM `{p}actionscheduler_logs` l JOIN sbx_old o ON o.action_id = l.action_id;\n"
               f"DELETE a FROM `{p}actionscheduler_actions` a JOIN sbx_old o ON o.action_id = a.action_id;\n"
               f"DROP TEMPORARY TABLE sbx_old;\n")
    # sessions: expired ones deleted, some carts updated
    sql.append(f"DELETE FROM `{p}woocommerce_sessions` WHERE session_expiry < {hour_end} ORDER BY session_id LIMIT {per_hour * 3};\n")
    sql.append(f"UPDATE `{p}woocommerce_sessions` SET session_expiry = {hour_end + 2 * 86400} WHERE session_id % 97 = {rng.randrange(97)};\n")
    # analytics log (no primary key): old rows pruned
    sql.append(f"DELETE FROM `{p}analytics_pageviews` WHERE viewed_at < '{dt(hour_start - 90 * 86400)}' LIMIT {per_hour * 20};\n")
    sql.append("COMMIT;\n")
    text = "".join(sql)
    db.run(text)
    n_rows = sum(sink.counts.values())
    print(f"gen_shop: hour {dt(hour_start)}..{dt(hour_end)} UTC: {len(new_orders)} new orders, {len(new_customers)} new customers, "
          f"{len(changes)} status changes, {len(bought)} stock changes, {n_rows} rows inserted ({len(text) // 1024} KiB SQL) "
          f"in {time.time() - t_start:.1f} s", file=sys.stderr)


def main():
    env = os.environ
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__.split("\n\n", 1)[1])
    ap.add_argument("--host", default=env.get("STRONGBOX_DB_HOST", "127.0.0.1"))
    ap.add_argument("--port", type=int, default=int(env.get("STRONGBOX_DB_PORT", "33306")))
    ap.add_argument("--user", default=env.get("STRONGBOX_DB_USER", "wp"))
    ap.add_argument("--password", default=env.get("STRONGBOX_DB_PASSWORD", "wp"))
    ap.add_argument("--socket", default=None, help="connect over this socket instead of TCP")
    ap.add_argument("--database", default="shop")
    ap.add_argument("--prefix", default="wp_")
    ap.add_argument("--orders", type=int, default=10000)
    ap.add_argument("--products", type=int, default=None, help="default: orders/50, 20..2000")
    ap.add_argument("--customers", type=int, default=None, help="default: orders/5, at least 10")
    ap.add_argument("--seed", default="1")
    ap.add_argument("--reset", action="store_true", help="drop ALL tables with the prefix first")
    ap.add_argument("--mutate-hour", action="store_true", help="apply one hour of shop activity instead")
    ap.add_argument("--no-big-rows", action="store_true", help="skip the rows of several MB")
    ap.add_argument("--work", default=env.get("STRONGBOX_WORK", os.path.join(root, ".work")),
                    help="scratch space for the TSV files (default $STRONGBOX_WORK or <repo>/.work)")
    ap.add_argument("-v", "--verbose", action="store_true")
    a = ap.parse_args()
    if not a.prefix.replace("_", "").isalnum() or not a.database.replace("_", "").isalnum():
        raise SystemExit("gen_shop: --prefix and --database may contain only letters, digits and _")
    if shutil.which("mariadb") is None:
        raise SystemExit("gen_shop: the `mariadb` client is not installed (apt-get install -y mariadb-client)")
    db = DB(a)
    if a.mutate_hour:
        mutate_hour(a, db)
    else:
        bulk(a, db)


if __name__ == "__main__":
    main()
