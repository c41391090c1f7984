#!/usr/bin/env python3
"""tests/graphql/make_corpus.py - writes tests/graphql/corpus.jsonl, the GraphQL classifier corpus.

Owned by the gql module. Every entry is hand-written here (JSON would bury the documents in
escapes); the file it writes is what tests/unit/test_gql.c and tests/graphql/oracle.mjs read:

    {"name": ..., "query": ..., "operationName": null | "...", "expect": KIND, "selects": NAME}

KIND is "query", "mutation", "subscription" or "invalid"; "selects" (valid entries only) is the
full name of the operation that runs, "" for an anonymous one. graphql-js v16 is the oracle,
except where src/gql.c is deliberately stricter (see the top of that file); those entries carry
"stricter" in their names.

Run `python3 tests/graphql/make_corpus.py` after editing; `--check` exits 1 if corpus.jsonl is
stale (tests/e2e/test_graphql_oracle.py runs that).
"""

import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, "corpus.jsonl")

ENTRIES = []


def add(name, query, expect, op=None, selects=None):
    if expect != "invalid" and selects is None:
        selects = op if op is not None else ""
    e = {"name": name, "query": query, "operationName": op, "expect": expect}
    if expect != "invalid":
        e["selects"] = selects
    ENTRIES.append(e)


def Q(name, query, op=None, selects=None):
    add(name, query, "query", op, selects)


def M(name, query, op=None, selects=None):
    add(name, query, "mutation", op, selects)


def S(name, query, op=None, selects=None):
    add(name, query, "subscription", op, selects)


def X(name, query, op=None):
    add(name, query, "invalid", op)


# ---- what the gh CLI sends (written out from cli/cli's api/ and pkg/cmd/ query shapes) -------

PR_FIELDS = (
    "id,number,title,state,closed,url,baseRefName,headRefName,headRefOid,body,mergeable,"
    "additions,deletions,changedFiles,mergeStateStatus,isDraft,maintainerCanModify,"
    "author{login},mergedBy{login},headRepositoryOwner{id,login,...on User{name}},"
    "headRepository{id,name},isCrossRepository,"
    "assignees(first:100){nodes{id,login,name},totalCount},"
    "labels(first:100){nodes{id,name,description,color},totalCount},"
    "projectCards(first:100){nodes{project{name}column{name}},totalCount},"
    "milestone{number,title,description,dueOn},reactionGroups{content,users{totalCount}},"
    "reviewRequests(first: 100) {nodes {requestedReviewer {__typename,...on User{login},"
    "...on Team{organization{login}name,slug}}}},"
    "reviews(first: 100) {nodes {author{login},authorAssociation,submittedAt,body,state,"
    "reactionGroups{content,users{totalCount}}}pageInfo{hasNextPage,endCursor}totalCount},"
    "statusCheckRollup: commits(last: 1) {nodes {commit {statusCheckRollup {contexts(first:100) "
    "{nodes {__typename...on StatusContext {context,state,targetUrl,createdAt},...on CheckRun "
    "{name,checkSuite{workflowRun{workflow{name}}},status,conclusion,startedAt,completedAt,"
    "detailsUrl}},pageInfo{hasNextPage,endCursor}}}}}}"
)

Q("gh_pr_view_by_number", """
	query PullRequestByNumber($owner: String!, $repo: String!, $pr_number: Int!) {
		repository(owner: $owner, name: $repo) {
			pullRequest(number: $pr_number) {%s}
		}
	}""" % PR_FIELDS, selects="PullRequestByNumber")

Q("gh_pr_view_by_branch", """
	query PullRequestForBranch($owner: String!, $repo: String!, $headRefName: String!, $states: [PullRequestState!]) {
		repository(owner: $owner, name: $repo) {
			pullRequests(headRefName: $headRefName, states: $states, first: 30, orderBy: { field: CREATED_AT, direction: DESC }) {
				nodes {
					%s
				}
			}
		}
	}""" % PR_FIELDS, selects="PullRequestForBranch")

PR_FRAGMENT = """
	fragment pr on PullRequest {
		number
		title
		state
		url
		headRefName
		headRepositoryOwner {
			login
		}
		isCrossRepository
		isDraft
		createdAt
	}"""

Q("gh_pr_list_fragment_first", PR_FRAGMENT + """
	query PullRequestList(
		$owner: String!,
		$repo: String!,
		$limit: Int!,
		$endCursor: String,
		$baseBranch: String,
		$headBranch: String,
		$state: [PullRequestState!] = OPEN
	) {
		repository(owner: $owner, name: $repo) {
			pullRequests(
				states: $state,
				baseRefName: $baseBranch,
				headRefName: $headBranch,
				first: $limit,
				after: $endCursor,
				orderBy: {field: CREATED_AT, direction: DESC}
			) {
				totalCount
				nodes {
					...pr
				}
				pageInfo {
					hasNextPage
					endCursor
				}
			}
		}
	}""", selects="PullRequestList")

Q("gh_pr_list_search", PR_FRAGMENT + """
	query PullRequestSearch(
		$q: String!,
		$limit: Int!,
		$endCursor: String,
	) {
		search(query: $q, type: ISSUE, first: $limit, after: $endCursor) {
			issueCount
			nodes {
				...pr
			}
			pageInfo {
				hasNextPage
				endCursor
			}
		}
	}""", selects="PullRequestSearch")

Q("gh_pr_status_two_fragments", PR_FRAGMENT + """
	fragment prWithReviews on PullRequest {
		...pr
		reviewDecision
		latestReviews(first: 100) {
			nodes {
				author{login}
				state
			}
		}
	}
	query PullRequestStatus($owner: String!, $repo: String!, $headRefName: String!, $viewerQuery: String!, $reviewerQuery: String!, $per_page: Int = 10) {
		repository(owner: $owner, name: $repo) {
			defaultBranchRef {
				name
			}
			pullRequests(headRefName: $headRefName, first: $per_page, orderBy: { field: CREATED_AT, direction: DESC }) {
				totalCount
				edges {
					node {
						...prWithReviews
					}
				}
			}
		}
		viewerCreated: search(query: $viewerQuery, type: ISSUE, first: $per_page) {
			totalCount: issueCount
			edges {
				node {
					...prWithReviews
				}
			}
		}
		reviewRequested: search(query: $reviewerQuery, type: ISSUE, first: $per_page) {
			totalCount: issueCount
			edges {
				node {
					...pr
				}
			}
		}
	}""", selects="PullRequestStatus")

ISSUE_FRAGMENT = """
	fragment issue on Issue {
		number
		title
		url
		state
		updatedAt
		labels(first: 3) {
			nodes {
				name
			}
			totalCount
		}
	}
"""

Q("gh_issue_status_anonymous_with_default", ISSUE_FRAGMENT + """
	query($owner: String!, $repo: String!, $viewer: String!, $per_page: Int = 10) {
		repository(owner: $owner, name: $repo) {
			hasIssuesEnabled
			assigned: issues(filterBy: {assignee: $viewer, states: OPEN}, first: $per_page, orderBy: {field: UPDATED_AT, direction: DESC}) {
				totalCount
				nodes {
					...issue
				}
			}
			mentioned: issues(filterBy: {mentioned: $viewer, states: OPEN}, first: $per_page, orderBy: {field: UPDATED_AT, direction: DESC}) {
				totalCount
				nodes {
					...issue
				}
			}
			authored: issues(filterBy: {createdBy: $viewer, states: OPEN}, first: $per_page, orderBy: {field: UPDATED_AT, direction: DESC}) {
				totalCount
				nodes {
					...issue
				}
			}
		}
    }""")

Q("gh_issue_list_list_default", ISSUE_FRAGMENT + """
	query IssueList($owner: String!, $repo: String!, $limit: Int, $endCursor: String, $states: [IssueState!] = OPEN, $labels: [String!], $assignee: String, $author: String, $mention: String, $milestone: String) {
		repository(owner: $owner, name: $repo) {
			hasIssuesEnabled
			issues(first: $limit, after: $endCursor, orderBy: {field: CREATED_AT, direction: DESC}, states: $states, labels: $labels, filterBy: {assignee: $assignee, createdBy: $author, mentioned: $mention, milestone: $milestone}) {
				totalCount
				nodes {
					...issue
				}
				pageInfo {
					hasNextPage
					endCursor
				}
			}
		}
	}""", selects="IssueList")

Q("gh_issue_view_by_number", """
	query IssueByNumber($owner: String!, $repo: String!, $issue_number: Int!) {
		repository(owner: $owner, name: $repo) {
			hasIssuesEnabled
			issue(number: $issue_number) {
				id,title,state,closed,body,author{login},
				comments(first: 100) {nodes {id,author{login},authorAssociation,body,createdAt,includesCreatedEdit,isMinimized,minimizedReason,reactionGroups{content,users{totalCount}},url,viewerDidAuthor},pageInfo{hasNextPage,endCursor},totalCount},
				number,url,createdAt,
				assignees(first:100){nodes{id,login,name},totalCount},
				labels(first:100){nodes{id,name,description,color},totalCount},
				milestone{number,title,description,dueOn},
				reactionGroups{content,users{totalCount}}
			}
		}
	}""", selects="IssueByNumber")

Q("gh_issue_or_pr_by_number_inline_fragments", """
	query IssueByNumber($owner: String!, $repo: String!, $number: Int!) {
		repository(owner: $owner, name: $repo) {
			hasIssuesEnabled
			issue: issueOrPullRequest(number: $number) {
				__typename
				...on Issue{id,title,state,stateReason,url}
				...on PullRequest{id,title,state,url,isDraft}
			}
		}
	}""", selects="IssueByNumber")

Q("gh_repo_view_githubv4_style",
  "query RepositoryInfo($name:String!$owner:String!){repository(owner: $owner, name: $name)"
  "{id,name,nameWithOwner,owner{id,login},description,homepageUrl,isPrivate,isArchived,"
  "isFork,viewerPermission,defaultBranchRef{name},stargazerCount,forkCount,"
  "repositoryTopics(first:100){nodes{topic{name}}},"
  "languages(first:100){edges{size,node{name}}}}}",
  selects="RepositoryInfo")

Q("gh_auth_status_user_current", "query UserCurrent{viewer{login}}", selects="UserCurrent")

Q("gh_repo_list", """
	query RepositoryList($owner: String!, $perPage: Int!, $endCursor: String, $fork: Boolean, $privacy: RepositoryPrivacy) {
		repositoryOwner(login: $owner) {
			login
			repositories(first: $perPage, after: $endCursor, privacy: $privacy, isFork: $fork, ownerAffiliations: OWNER, orderBy: { field: PUSHED_AT, direction: DESC }) {
				nodes{id,name,nameWithOwner,description,isPrivate,isFork,isArchived,pushedAt,visibility}
				totalCount
				pageInfo{hasNextPage,endCursor}
			}
		}
	}""", selects="RepositoryList")

Q("gh_label_list", """
	query LabelList($owner: String!, $repo: String!, $limit: Int!, $endCursor: String, $query: String, $orderBy: LabelOrder) {
		repository(owner: $owner, name: $repo) {
			labels(first: $limit, after: $endCursor, query: $query, orderBy: $orderBy) {
				totalCount,
				nodes {
					name, color, description, createdAt,
				}
				pageInfo {
					hasNextPage
					endCursor
				}
			}
		}
	}""", selects="LabelList")

Q("gh_pr_checks_required", """
	query PullRequestStatusChecks($id: ID!, $endCursor: String) {
		node(id: $id) {
			...on PullRequest {
				statusCheckRollup: commits(last: 1) {
					nodes {
						commit {
							statusCheckRollup {
								contexts(first:100,after:$endCursor) {
									nodes {
										__typename
										...on StatusContext {context,state,targetUrl,createdAt,isRequired(pullRequestId: $id)},
										...on CheckRun {name,checkSuite{workflowRun{workflow{name}}},status,conclusion,startedAt,completedAt,detailsUrl,isRequired(pullRequestId: $id)}
									},
									pageInfo{hasNextPage,endCursor}
								}
							}
						}
					}
				}
			}
		}
	}""", selects="PullRequestStatusChecks")

Q("gh_project_items_nested_inline_fragments", """
	query UserProjectWithItems($login: String!, $number: Int!, $firstItems: Int!, $afterItems: String) {
		user(login: $login) {
			projectV2(number: $number) {
				items(first: $firstItems, after: $afterItems) {
					nodes {
						id
						content {
							__typename
							... on DraftIssue { id title body }
							... on Issue { title number url repository { nameWithOwner } }
							... on PullRequest { title number url repository { nameWithOwner } }
						}
						fieldValues(first: 100) {
							nodes {
								__typename
								... on ProjectV2ItemFieldTextValue { text field { ... on ProjectV2FieldCommon { name } } }
								... on ProjectV2ItemFieldSingleSelectValue { name field { ... on ProjectV2FieldCommon { name } } }
								... on ProjectV2ItemFieldNumberValue { number field { ... on ProjectV2FieldCommon { name } } }
							}
						}
					}
					pageInfo { hasNextPage endCursor }
					totalCount
				}
			}
		}
	}""", selects="UserProjectWithItems")

Q("gh_pr_review_threads", """
	query ReviewThreads($owner: String!, $repo: String!, $number: Int!) {
		repository(owner: $owner, name: $repo) {
			pullRequest(number: $number) {
				reviewThreads(first: 100) {
					nodes {
						id
						isResolved
						isOutdated
						path
						line
						comments(first: 50) { nodes { id body author { login } diffHunk } }
					}
				}
			}
		}
	}""", selects="ReviewThreads")

Q("gh_repo_network_aliases",
  "query RepositoryNetwork {\n"
  "  viewer { login }\n"
  "  repo_000: repository(owner: \"cli\", name: \"cli\") { ...repo\n"
  "    parent { ...repo }\n  }\n"
  "  repo_001: repository(owner: \"octocat\", name: \"hello-world\") { ...repo\n"
  "    parent { ...repo }\n  }\n"
  "}\n"
  "fragment repo on Repository {\n  id\n  name\n  owner { login }\n"
  "  viewerPermission\n  defaultBranchRef { name }\n  isPrivate\n}\n",
  selects="RepositoryNetwork")

Q("gh_release_list", """
	query RepositoryReleaseList($owner: String!, $repo: String!, $perPage: Int!, $endCursor: String, $direction: OrderDirection!) {
		repository(owner: $owner, name: $repo) {
			releases(first: $perPage, orderBy: {field: CREATED_AT, direction: $direction}, after: $endCursor) {
				nodes { name tagName isDraft isLatest: isLatest isPrerelease createdAt publishedAt }
				pageInfo { hasNextPage endCursor }
			}
		}
	}""", selects="RepositoryReleaseList")

Q("gh_org_teams", """
	query OrganizationTeamList($owner: String!, $endCursor: String) {
		organization(login: $owner) {
			teams(first: 100, orderBy: {field: NAME, direction: ASC}, after: $endCursor) {
				nodes { slug }
				pageInfo { hasNextPage endCursor }
			}
		}
	}""", selects="OrganizationTeamList")

M("gh_pr_create", """
		mutation PullRequestCreate($input: CreatePullRequestInput!) {
			createPullRequest(input: $input) {
				pullRequest {
					id
					url
				}
			}
	}""", selects="PullRequestCreate")

M("gh_pr_create_metadata_update", """
		mutation PullRequestCreateMetadata($input: UpdatePullRequestInput!) {
			updatePullRequest(input: $input) { clientMutationId }
		}""", selects="PullRequestCreateMetadata")

M("gh_pr_create_request_reviews", """
		mutation PullRequestCreateRequestReviews($input: RequestReviewsInput!) {
			requestReviews(input: $input) { clientMutationId }
		}""", selects="PullRequestCreateRequestReviews")

M("gh_pr_close_githubv4",
  "mutation PullRequestClose($input:ClosePullRequestInput!){closePullRequest(input: $input){pullRequest{id}}}",
  selects="PullRequestClose")

M("gh_pr_reopen_githubv4",
  "mutation PullRequestReopen($input:ReopenPullRequestInput!){reopenPullRequest(input: $input){pullRequest{id}}}",
  selects="PullRequestReopen")

M("gh_pr_ready_githubv4",
  "mutation PullRequestReadyForReview($input:MarkPullRequestReadyForReviewInput!){markPullRequestReadyForReview(input: $input){pullRequest{id}}}",
  selects="PullRequestReadyForReview")

M("gh_pr_merge", """
	mutation PullRequestMerge($input: MergePullRequestInput!) {
		mergePullRequest(input: $input) {
			clientMutationId
		}
	}""", selects="PullRequestMerge")

M("gh_pr_merge_auto", """
	mutation PullRequestAutoMerge($input: EnablePullRequestAutoMergeInput!) {
		enablePullRequestAutoMerge(input: $input) {
			clientMutationId
		}
	}""", selects="PullRequestAutoMerge")

M("gh_pr_update_branch_githubv4",
  "mutation PullRequestUpdateBranch($input:UpdatePullRequestBranchInput!){updatePullRequestBranch(input: $input){pullRequest{id}}}",
  selects="PullRequestUpdateBranch")

M("gh_pr_review_add_githubv4",
  "mutation PullRequestReviewAdd($input:AddPullRequestReviewInput!){addPullRequestReview(input: $input){clientMutationId}}",
  selects="PullRequestReviewAdd")

M("gh_pr_edit_update", """
	mutation PullRequestUpdate($input: UpdatePullRequestInput!) {
		updatePullRequest(input: $input) {
			__typename
		}
	}""", selects="PullRequestUpdate")

M("gh_edit_labels_add_githubv4",
  "mutation LabelAdd($input:AddLabelsToLabelableInput!){addLabelsToLabelable(input: $input){__typename}}",
  selects="LabelAdd")

M("gh_edit_labels_remove_githubv4",
  "mutation LabelRemove($input:RemoveLabelsFromLabelableInput!){removeLabelsFromLabelable(input: $input){__typename}}",
  selects="LabelRemove")

M("gh_edit_assignees_replace", """
	mutation ReplaceActorsForAssignable($input: ReplaceActorsForAssignableInput!) {
		replaceActorsForAssignable(input: $input) {
			__typename
		}
	}""", selects="ReplaceActorsForAssignable")

M("gh_issue_comment_add", """
	mutation CommentCreate($input: AddCommentInput!) {
		addComment(input: $input) {
			commentEdge {
				node {
					url
				}
			}
		}
	}""", selects="CommentCreate")

M("gh_issue_comment_edit_githubv4",
  "mutation CommentUpdate($input:UpdateIssueCommentInput!){updateIssueComment(input: $input){issueComment{url}}}",
  selects="CommentUpdate")

M("gh_issue_create", """
	mutation IssueCreate($input: CreateIssueInput!) {
		createIssue(input: $input) {
			issue {
				id
				url
			}
		}
	}""", selects="IssueCreate")

M("gh_issue_close_githubv4",
  "mutation IssueClose($input:CloseIssueInput!){closeIssue(input: $input){issue{id}}}",
  selects="IssueClose")

M("gh_issue_reopen_githubv4",
  "mutation IssueReopen($input:ReopenIssueInput!){reopenIssue(input: $input){issue{id}}}",
  selects="IssueReopen")

M("gh_issue_delete_githubv4",
  "mutation IssueDelete($input:DeleteIssueInput!){deleteIssue(input: $input){clientMutationId}}",
  selects="IssueDelete")

M("gh_issue_transfer_object_argument", """
	mutation IssueTransfer($issueId: ID!, $repoId: ID!) {
		transferIssue(input: {
			issueId: $issueId,
			repositoryId: $repoId,
		}) {
			issue {
				url
			}
		}
	}""", selects="IssueTransfer")

M("gh_issue_pin_githubv4",
  "mutation IssuePin($input:PinIssueInput!){pinIssue(input: $input){issue{id}}}",
  selects="IssuePin")

M("gh_issue_develop_linked_branch", """
	mutation CreateLinkedBranch($issueId: ID!, $oid: GitObjectID!, $name: String, $repositoryId: ID) {
		createLinkedBranch(input: {
			issueId: $issueId,
			name: $name,
			oid: $oid,
			repositoryId: $repositoryId
		}) {
			linkedBranch {
				id
				ref {
					name
				}
			}
		}
	}""", selects="CreateLinkedBranch")

M("gh_resolve_review_thread", """
	mutation ResolveReviewThread($threadId: ID!) {
		resolveReviewThread(input: {threadId: $threadId}) {
			thread {
				id
				isResolved
			}
		}
	}""", selects="ResolveReviewThread")

M("gh_repo_archive", """
	mutation ArchiveRepository($input: ArchiveRepositoryInput!) {
		archiveRepository(input: $input) {
			repository {
				id
			}
		}
	}""", selects="ArchiveRepository")

M("gh_repo_create", """
	mutation RepositoryCreate($input: CreateRepositoryInput!) {
		createRepository(input: $input) {
			repository {
				id
				name
				owner { login }
				url
			}
		}
	}""", selects="RepositoryCreate")

M("gh_project_item_add", """
	mutation AddItem($input: AddProjectV2ItemByIdInput!) {
		addProjectV2ItemById(input: $input) {
			item {
				id
			}
		}
	}""", selects="AddItem")

M("gh_project_field_value_literal_input", """
	mutation {
		updateProjectV2ItemFieldValue(input: {projectId: "PVT_kwDOABCD", itemId: "PVTI_lADOABCD", fieldId: "PVTSSF_lADOABCD", value: {singleSelectOptionId: "47fc9ee4"}}) {
			projectV2Item {
				id
			}
		}
	}""")

M("gh_discussion_add_comment", """
	mutation AddDiscussionComment($discussionId: ID!, $body: String!, $replyToId: ID) {
		addDiscussionComment(input: {discussionId: $discussionId, body: $body, replyToId: $replyToId}) {
			comment { id url }
		}
	}""", selects="AddDiscussionComment")

M("gh_gist_star_ish_add_star", "mutation AddStar($starrableId:ID!){addStar(input:{starrableId:$starrableId}){starrable{viewerHasStarred}}}",
  selects="AddStar")

M("gh_delete_ref", "mutation DeleteRef($refId:ID!){deleteRef(input:{refId:$refId}){clientMutationId}}",
  selects="DeleteRef")

# ---- Octokit's documented shapes ------------------------------------------------------------

Q("octokit_shorthand_literal_arguments", """
  {
    repository(owner:"octokit", name:"graphql.js") {
      issues(last:3) {
        edges {
          node {
            title
          }
        }
      }
    }
  }
""")

Q("octokit_last_issues_variables_default", """
  query lastIssues($owner: String!, $repo: String!, $num: Int = 3) {
    repository(owner: $owner, name: $repo) {
      issues(last: $num) {
        edges {
          node {
            title
          }
        }
      }
    }
  }
""", selects="lastIssues")

Q("octokit_paginate_cursor", """
  query paginate($cursor: String) {
    repository(owner: "octokit", name: "rest.js") {
      issues(first: 10, after: $cursor) {
        nodes {
          title
        }
        pageInfo {
          hasNextPage
          endCursor
        }
      }
    }
  }
""", selects="paginate")

M("octokit_anonymous_mutation_add_comment", """
  mutation($subjectId: ID!, $body: String!) {
    addComment(input: {subjectId: $subjectId, body: $body}) {
      commentEdge {
        node {
          id
        }
      }
    }
  }
""")

M("octokit_add_reaction", """
  mutation addReactionToIssue($subjectId: ID!, $content: ReactionContent = HOORAY) {
    addReaction(input: {subjectId: $subjectId, content: $content}) {
      reaction {
        content
      }
      subject {
        id
      }
    }
  }
""", selects="addReactionToIssue")

Q("octokit_rate_limit_and_viewer", "query { rateLimit { limit cost remaining resetAt } viewer { login } }")

Q("introspection_query_fragments_after", """
  query IntrospectionQuery {
    __schema {
      queryType { name }
      mutationType { name }
      subscriptionType { name }
      types { ...FullType }
      directives { name description locations args { ...InputValue } }
    }
  }
  fragment FullType on __Type {
    kind name description
    fields(includeDeprecated: true) {
      name description
      args { ...InputValue }
      type { ...TypeRef }
      isDeprecated deprecationReason
    }
    inputFields { ...InputValue }
    interfaces { ...TypeRef }
    enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
    possibleTypes { ...TypeRef }
  }
  fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
  fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
""", selects="IntrospectionQuery")

Q("typename_only_shorthand", "{ __typename }")

# ---- lexical corners that must not change the answer -----------------------------------------

M("lex_mutation_behind_query_comment", "# query\nmutation { addStar(input: {starrableId: \"R_1\"}) { clientMutationId } }")
Q("lex_query_behind_mutation_comment", "# mutation { deleteRepository }\n{ viewer { login } }")
M("lex_comment_crlf_then_mutation", "# just a comment\r\nmutation M { a }", selects="M")
M("lex_comment_cr_only_then_mutation", "# just a comment\rmutation M { a }", selects="M")
Q("lex_comment_hides_rest_of_line", "{ a # } mutation { b\n}")
Q("lex_comment_at_end_without_newline", "{ viewer { login } } # mutation")
Q("lex_comment_with_quotes", "# \"unterminated? no, a comment\n# \"\"\"\n{ a }")
M("lex_leading_whitespace_mutation", "   \t\n\n  \t mutation Deep { a }", selects="Deep")
M("lex_leading_bom_mutation", "\ufeffmutation { a }")
Q("lex_leading_bom_query", "\ufeff{ a }")
M("lex_bom_between_tokens", "mutation\ufeffM\ufeff{\ufeffa\ufeff}", selects="M")
M("lex_leading_commas", ",,, ,mutation, M ,{,a,}", selects="M")
Q("lex_commas_everywhere", "{,a,,b(x:1,,y:2,),c{d,e},}")
Q("lex_crlf_everywhere", "query Q {\r\n  a\r\n  b\r\n}\r\n", selects="Q")
Q("lex_cr_only_line_endings", "query Q {\ra\rb\r}", selects="Q")
Q("lex_tabs_only", "query\tQ\t{\ta\t}", selects="Q")
Q("lex_no_whitespace_at_all", "query Q($a:Int=1$b:[String!]!=[\"x\"]){a(x:$a,y:$b){b}...F}fragment F on T{c}", selects="Q")
Q("lex_string_with_mutation_word", '{ search(query: "mutation { deleteRepository(input: {}) }", type: REPOSITORY, first: 1) { repositoryCount } }')
Q("lex_string_with_closing_brace", '{ a(s: "} mutation M { b }") }')
Q("lex_string_escaped_quote_then_brace", r'{ a(s: "\" } mutation { x } \"") }')
Q("lex_string_escaped_backslash_before_quote", r'{ a(s: "\\") b }')
Q("lex_string_all_short_escapes", r'{ a(s: "\" \\ \/ \b \f \n \r \t") }')
Q("lex_string_unicode_escape", r'{ a(s: "caf\u00e9 \u00E9 \u0000 \uFFFF \uFFFE") }')
Q("lex_string_surrogate_pair_escape", r'{ a(s: "\uD83D\uDE00") }')
Q("lex_string_raw_emoji_utf16_pair", '{ a(s: "ship it \U0001F680") }')
Q("lex_comment_raw_emoji_utf16_pair", "# \U0001F680 launch\n{ a }")
Q("lex_block_string_raw_emoji", '{ a(s: """\U0001F600""") }')
Q("lex_string_non_ascii", '{ a(s: "caf\u00e9 \u4e2d\u6587 \u0645\u0631\u062d\u0628\u0627 \u00a0 \u2028 \u0085") }')
Q("lex_string_hash_is_not_comment", '{ a(s: "# not a comment") b }')
Q("lex_string_del_character", '{ a(s: "\x7f") }')
Q("lex_empty_string", '{ a(s: "") }')
Q("lex_empty_string_then_space_then_string", '{ a(s: "" t: "") }')
Q("lex_block_string_with_mutation", '{ a(s: """\n  } mutation M { x }\n""") }')
Q("lex_block_string_escaped_triple_quote", r'{ a(s: """ \""" } mutation { x } """) }')
Q("lex_block_string_backslash_then_escaped_triple", r'{ a(s: """x\\""" y""") }')
Q("lex_block_string_with_single_quotes_inside", '{ a(s: """ "quoted" and ""double"" """) }')
Q("lex_empty_block_string", '{ a(s: """""") }')
Q("lex_block_string_with_newlines_and_tabs", '{ a(s: """\n\tline one\r\n\tline two\r\n""") }')
Q("lex_block_string_backslashes_are_raw", r'{ a(s: """\n \u \x \\ """) }')
Q("lex_numbers_valid_forms", "{ a(i: 0, j: -0, k: 123, l: -45, f: 1.5, g: -0.0, h: 1e10, m: 1E+10, n: 2.5e-3, o: 123456789012345678901234567890) }")
Q("lex_float_exponent_zero", "{ a(f: 0e0, g: 0.0E-0) }")
Q("lex_name_underscores_digits", "{ _ __a a_1 A_B_9 _0 }")
Q("lex_values_every_kind", '{ a(v: $v, i: 1, f: 1.0, s: "s", b: """b""", t: true, fa: false, n: null, e: ENUM, l: [1, "two", [3]], o: {k: {k2: [null]}}, eo: {}, el: []) }')

# ---- "mutation" and friends as ordinary names inside a query ---------------------------------

Q("name_mutation_as_field", "{ mutation }")
Q("name_mutation_as_alias", "{ mutation: viewer { login } }")
Q("name_mutation_as_argument", "{ a(mutation: 1) }")
Q("name_mutation_as_enum_value", "{ a(kind: mutation) }")
Q("name_mutation_as_variable", "query ($mutation: Boolean = true) { a(x: $mutation) }")
Q("name_mutation_as_type_condition", "{ node(id: 1) { ... on Mutation { a } } }")
Q("name_mutation_as_directive", "{ a @mutation }")
Q("name_mutation_as_fragment_name", "fragment mutation on Query { a } query { ...mutation }")
Q("name_query_mutation_nested_fields", "{ query { mutation { subscription } } }")
Q("name_operation_named_mutation", "query mutation { a }", selects="mutation")
M("name_mutation_named_query", "mutation query { a }", selects="query")
S("name_subscription_named_mutation", "subscription mutation { a }", selects="mutation")
Q("name_operation_named_fragment", "query fragment { a }", selects="fragment")
Q("name_operation_named_on", "query on { a }", selects="on")
Q("name_operation_named_true", "query true { a }", selects="true")
Q("name_keywords_as_fields", "{ fragment query subscription mutation on true false null schema type extend }")
Q("name_keywords_as_enum_values", "{ a(x: [query, on, fragment, schema, type]) }")
Q("name_inline_fragment_on_type_named_on", "{ ... on on { a } }")
Q("name_fragment_named_query", "query Q { ...query } fragment query on Query { a }", selects="Q")
Q("name_typename_aliases", "{ mutation: __typename, query: __typename }")

# ---- grammar coverage --------------------------------------------------------------------------

Q("syntax_directives_everywhere",
  "query Q($skip: Boolean!, $first: Int = 10 @deprecated) @live @cost(weight: 1) {\n"
  "  a @skip(if: $skip) @include(if: true)\n"
  "  ...F @include(if: $skip)\n"
  "  ... @defer(label: \"x\") { b }\n"
  "  ... on T @skip(if: false) { c }\n"
  "}\n"
  "fragment F on T @tag(name: \"f\") { d }", selects="Q")
Q("syntax_variable_types_nested", "query Q($a: Int, $b: Int!, $c: [Int], $d: [Int]!, $e: [Int!]!, $f: [[Int!]!]!) { a }", selects="Q")
Q("syntax_variable_const_defaults",
  'query Q($a: Int = 1, $b: [String!]! = ["x", "y"], $c: In = {x: 1, y: [null, true, ENUM], z: {}}, $d: String = """block""") { a }',
  selects="Q")
Q("syntax_variable_dollar_space_name", "query Q($ a: Int) { f(x: $ a) }", selects="Q")
Q("syntax_directive_at_space_name", "{ a @ include(if: true) }")
Q("syntax_field_alias_arguments_selection", "{ me: user(login: \"x\", first: 1) @include(if: true) { id } }")
Q("syntax_fragment_spread_with_directive", "{ ...F @skip(if: false) } fragment F on Query { a }")
Q("syntax_inline_fragment_without_type", "{ ... { a } ... @include(if: true) { b } }")
Q("syntax_gh_style_inline_fragment_no_space", "{ node(id: \"x\") { ...on User{login}...on Team{slug} } }")
Q("syntax_nested_object_argument", "{ a(filter: {and: [{state: OPEN}, {or: [{label: \"bug\"}, {label: \"p1\"}]}]}) { b } }")
Q("syntax_variable_in_list_and_object", "query Q($v: Int) { a(x: [$v, {y: $v}]) }", selects="Q")
Q("syntax_operation_directive_with_variable", "query Q($v: Boolean) @dir(if: $v) { a }", selects="Q")
Q("syntax_fragment_directive_with_variable", "query Q($v: Boolean) { ...F } fragment F on Query @dir(if: $v) { a }", selects="Q")
Q("syntax_fragments_only_unused_plus_query", "fragment A on T { a } fragment B on T { b } { c }")
Q("syntax_duplicate_fragment_names_not_checked",
  "fragment F on Query { a } fragment F on Query { b } query { ...F }")
Q("syntax_fragment_named_like_operation", "fragment A on Query { a } query A { ...A }", selects="A")
Q("syntax_query_keyword_no_name", "query { a }")
Q("syntax_query_keyword_variables_no_name", "query ($a: Int) { b(a: $a) }")
S("syntax_subscription_named", "subscription IssueUpdates($id: ID!) { issueUpdated(id: $id) { id title } }", selects="IssueUpdates")
S("syntax_subscription_anonymous", "subscription { a }")
S("syntax_subscription_two_fields_not_checked", "subscription S { a b }", selects="S")
S("syntax_subscription_after_fragment", "fragment F on Subscription { a } subscription S { ...F }", selects="S")
M("syntax_mutation_after_fragments", "fragment A on Issue { id } fragment B on Issue { ...A url }\nmutation Create($input: CreateIssueInput!) { createIssue(input: $input) { issue { ...B } } }", selects="Create")
M("syntax_mutation_then_fragment", "mutation M { createIssue(input: {}) { issue { ...I } } } fragment I on Issue { id }", selects="M")
M("syntax_anonymous_mutation_no_variables", "mutation { a }")
M("syntax_mutation_many_fields", "mutation M { a: addStar(input: {starrableId: \"1\"}) { clientMutationId } b: addStar(input: {starrableId: \"2\"}) { clientMutationId } }", selects="M")

# ---- several operations ----------------------------------------------------------------------

TWO = "query A { a } mutation B { b }"
Q("multi_select_query", TWO, op="A")
M("multi_select_mutation", TWO, op="B")
X("multi_no_operation_name", TWO)
X("multi_operation_name_names_nothing", TWO, op="C")
X("multi_operation_name_empty_string", TWO, op="")
X("multi_operation_name_wrong_case", TWO, op="a")
X("multi_operation_name_with_space", TWO, op=" A")
X("multi_operation_name_prefix_only", "query Alpha { a } mutation Beta { b }", op="Alp")

THREE = "query First { a }\nsubscription Second { b }\nmutation Third { c }"
Q("multi_three_select_first", THREE, op="First")
S("multi_three_select_subscription", THREE, op="Second")
M("multi_three_select_last", THREE, op="Third")
X("multi_three_no_name", THREE)

M("multi_fragments_between_select_mutation",
  "fragment F on Query { a }\nquery Read { ...F }\nfragment G on Mutation { b }\nmutation Write { ...G }",
  op="Write")
Q("multi_fragments_between_select_query",
  "fragment F on Query { a }\nquery Read { ...F }\nfragment G on Mutation { b }\nmutation Write { ...G }",
  op="Read")
Q("multi_mutation_first_select_query", "mutation W { a } query R { b }", op="R")
M("multi_query_named_like_mutation_keyword", "query mutation { a } mutation query { b }", op="query")
Q("multi_mutation_named_like_query_keyword", "query mutation { a } mutation query { b }", op="mutation")
Q("single_named_with_matching_name", "query Only { a }", op="Only")
Q("single_named_without_name", "query Only { a }", selects="Only")
M("single_mutation_without_name", "mutation Only { a }", selects="Only")
X("single_named_with_other_name", "query Only { a }", op="Other")
X("single_mutation_with_other_name", "mutation Only { a }", op="Only2")
X("single_anonymous_with_name", "{ a }", op="A")
X("single_anonymous_query_keyword_with_name", "query { a }", op="query")
Q("single_anonymous_with_null_name", "{ a }")

MANY = "".join("query Q%d { f%d }\n" % (i, i) for i in range(200)) + "mutation Write { w }\n"
M("multi_201_operations_select_mutation", MANY, op="Write")
Q("multi_201_operations_select_query", MANY, op="Q137")
X("multi_201_operations_no_name", MANY)
X("multi_201_operations_duplicate_at_end", MANY + "query Q0 { again }", op="Write")

# ---- validation: graphql-js's three document rules -------------------------------------------

X("validate_duplicate_query_names", "query A { a } query A { b }", op="A")
X("validate_duplicate_query_mutation_names", "query A { a } mutation A { b }", op="A")
X("validate_duplicate_names_select_other", "query A { a } mutation A { b } query C { c }", op="C")
X("validate_duplicate_mutation_subscription", "mutation A { a } subscription A { b }", op="A")
X("validate_anonymous_and_named", "{ a } query B { b }", op="B")
X("validate_anonymous_and_named_mutation", "{ a } mutation M { b }", op="M")
X("validate_named_then_anonymous", "query A { a } { b }", op="A")
X("validate_two_anonymous", "{ a } { b }")
X("validate_two_anonymous_keywords", "query { a } mutation { b }")
X("validate_fragments_only", "fragment F on Query { a }")
X("validate_type_definition", "type Query { a: Int }")
X("validate_schema_definition", "schema { query: Query mutation: Mutation }")
X("validate_extend_type", "extend type Query { b: Int }")
X("validate_extend_schema", "extend schema @d")
X("validate_directive_definition", "directive @d(a: Int) on FIELD | QUERY")
X("validate_scalar_definition", "scalar Date")
X("validate_enum_definition", "enum E { A B }")
X("validate_input_definition", "input I { a: Int = 1 }")
X("validate_interface_definition", "interface Node { id: ID! }")
X("validate_union_definition", "union U = A | B")
X("validate_described_type", "\"desc\" type T { a: Int }")
X("validate_block_described_type", "\"\"\"\ndesc\n\"\"\"\ntype T { a: Int }")
X("validate_description_on_query_newer_draft_stricter_than_graphql_js", "\"\"\"desc\"\"\" query { a }")
X("validate_description_on_mutation_newer_draft_stricter_than_graphql_js", "\"Adds a star\"\nmutation M { addStar(input: {starrableId: \"1\"}) { clientMutationId } }", op="M")
X("validate_description_on_fragment_newer_draft_stricter_than_graphql_js", "\"desc\" fragment F on Query { a } query Q { ...F }", op="Q")
X("validate_description_on_variable_newer_draft_stricter_than_graphql_js", "query Q(\"desc\" $a: Int) { a(x: $a) }")
X("validate_description_on_shorthand", "\"desc\" { a }")
X("validate_query_plus_type", "{ a } type T { a: Int }")
X("validate_mutation_plus_scalar", "mutation M { a } scalar S", op="M")
X("validate_type_before_query", "type T { a: Int } query Q { a }", op="Q")

# ---- lexical errors --------------------------------------------------------------------------

X("lexerr_unterminated_string", '{ a(s: "abc) }')
X("lexerr_unterminated_string_at_eof", '{ a(s: "')
X("lexerr_string_line_feed", '{ a(s: "a\nb") }')
X("lexerr_string_carriage_return", '{ a(s: "a\rb") }')
X("lexerr_string_bad_escape_x", r'{ a(s: "\x41") }')
X("lexerr_string_bad_escape_quote", r"""{ a(s: "\'") }""")
X("lexerr_string_bad_escape_a", r'{ a(s: "\a") }')
X("lexerr_string_short_unicode_escape", r'{ a(s: "\u12") }')
X("lexerr_string_nonhex_unicode_escape", r'{ a(s: "\u12G4") }')
X("lexerr_string_u_brace_escape_newer_draft_stricter_than_graphql_js", r'{ a(s: "\u{1F600}") }')
X("lexerr_string_u_brace_escape_ascii_newer_draft_stricter_than_graphql_js", r'{ a(s: "\u{41}") }')
X("lexerr_string_lone_high_surrogate_escape", r'{ a(s: "\uD800") }')
X("lexerr_string_lone_low_surrogate_escape", r'{ a(s: "\uDC00") }')
X("lexerr_string_high_surrogate_then_bmp_escape", r'{ a(s: "\uD800\u0041") }')
X("lexerr_string_reversed_surrogate_escapes", r'{ a(s: "\uDE00\uD83D") }')
X("lexerr_string_backslash_at_eof", '{ a(s: "\\')
X("lexerr_unterminated_block_string", '{ a(s: """abc) }')
X("lexerr_block_string_only_escaped_end", r'{ a(s: """abc\""") }')
X("lexerr_string_hides_mutation_unterminated", '{ a(s: "x) } mutation M { b }')
X("lexerr_single_quoted_string", "{ a(s: 'x') }")
X("lexerr_number_hex", "{ a(x: 0x1F) }")
X("lexerr_number_trailing_dot", "{ a(x: 1.) }")
X("lexerr_number_leading_zeros", "{ a(x: 00) }")
X("lexerr_number_leading_zero_digit", "{ a(x: 01) }")
X("lexerr_number_negative_leading_zero", "{ a(x: -01) }")
X("lexerr_number_followed_by_letter", "{ a(x: 1a) }")
X("lexerr_number_followed_by_underscore", "{ a(x: 1_000) }")
X("lexerr_number_two_dots", "{ a(x: 1.5.) }")
X("lexerr_number_dot_exponent", "{ a(x: 1.e5) }")
X("lexerr_number_empty_exponent", "{ a(x: 1e) }")
X("lexerr_number_signed_empty_exponent", "{ a(x: 1e+) }")
X("lexerr_number_fraction_after_exponent", "{ a(x: 1.0e1.5) }")
X("lexerr_number_leading_dot", "{ a(x: .5) }")
X("lexerr_number_lone_minus", "{ a(x: -) }")
X("lexerr_number_minus_space", "{ a(x: - 1) }")
X("lexerr_number_plus_sign", "{ a(x: +1) }")
X("lexerr_number_minus_name", "{ a(x: -a) }")
X("lexerr_number_float_then_letter", "{ a(x: 1.5f) }")
X("lexerr_two_dots", "{ ..a }")
X("lexerr_four_dots", "{ ....a }")
X("lexerr_semicolon", "{ a; b }")
X("lexerr_question_mark", "{ a? }")
X("lexerr_percent", "{ a(x: 5%) }")
X("lexerr_backtick", "{ `a` }")
X("lexerr_non_ascii_name", "{ caf\u00e9 }")
X("lexerr_nbsp_outside_string", "{\u00a0a }")
X("lexerr_line_separator_outside_string", "{ a }\u2028")
X("lexerr_next_line_outside_string", "\u0085{ a }")
X("lexerr_ideographic_space", "{\u3000a }")
X("lexerr_emoji_outside_string", "{ \U0001F680 }")
X("lexerr_vertical_tab_whitespace", "{\x0ba }")
X("lexerr_form_feed_whitespace", "{\x0ca }")
X("lexerr_nul_after_document", "{ a }\x00")
X("lexerr_nul_in_string_stricter_than_graphql_js", '{ a(s: "x\x00y") }')
X("lexerr_nul_in_comment_stricter_than_graphql_js", "# \x00\n{ a }")
X("lexerr_control_in_comment_stricter_than_graphql_js", "# \x01 hidden\n{ a }")
X("lexerr_escape_char_in_comment_stricter_than_graphql_js", "# \x1b[31m\nmutation M { a }", op="M")
X("lexerr_control_in_string_stricter_than_graphql_js", '{ a(s: "\x08") }')
X("lexerr_control_in_block_string_stricter_than_graphql_js", '{ a(s: """\x1f""") }')

# ---- syntax errors ---------------------------------------------------------------------------

X("syntaxerr_empty_document", "")
X("syntaxerr_only_whitespace", " \t\r\n ")
X("syntaxerr_only_comments", "# query { a }\n# mutation { b }\n")
X("syntaxerr_only_commas", ",,,")
X("syntaxerr_only_bom", "\ufeff")
X("syntaxerr_unclosed_brace", "{ a")
X("syntaxerr_unclosed_nested_brace", "{ a { b }")
X("syntaxerr_extra_closing_brace", "{ a } }")
X("syntaxerr_lone_closing_brace", "}")
X("syntaxerr_empty_selection_set", "{ }")
X("syntaxerr_empty_nested_selection_set", "{ a { } }")
X("syntaxerr_keyword_only", "query")
X("syntaxerr_keyword_and_name_only", "mutation M")
X("syntaxerr_empty_variable_definitions", "query Q() { a }")
X("syntaxerr_variable_without_type", "query Q($a) { a }")
X("syntaxerr_variable_empty_type", "query Q($a: ) { a }")
X("syntaxerr_variable_double_bang", "query Q($a: Int!!) { a }")
X("syntaxerr_variable_unclosed_list_type", "query Q($a: [Int) { a }")
X("syntaxerr_variable_missing_dollar", "query Q(a: Int) { a }")
X("syntaxerr_variable_default_is_variable", "query Q($a: Int = $b) { a }")
X("syntaxerr_variable_default_list_with_variable", "query Q($a: [Int] = [1, $b]) { a }")
X("syntaxerr_variable_default_object_with_variable", "query Q($a: In = {x: $b}) { a }")
X("syntaxerr_variable_directive_with_variable", "query Q($a: Int @d(x: $b)) { a }")
X("syntaxerr_empty_arguments", "{ a() }")
X("syntaxerr_argument_without_value", "{ a(b) }")
X("syntaxerr_argument_colon_without_value", "{ a(b:) }")
X("syntaxerr_unclosed_arguments", "{ a(b: 1 }")
X("syntaxerr_alias_without_field", "{ a: }")
X("syntaxerr_double_alias", "{ a: b: c }")
X("syntaxerr_directive_without_field", "{ @d }")
X("syntaxerr_directive_without_name", "{ a @ }")
X("syntaxerr_directive_empty_arguments", "{ a @d() }")
X("syntaxerr_bare_spread", "{ ... }")
X("syntaxerr_spread_on_without_type", "{ ...on }")
X("syntaxerr_inline_fragment_on_without_type", "{ ... on { a } }")
X("syntaxerr_inline_fragment_without_selection", "{ ... on T }")
X("syntaxerr_fragment_named_on", "fragment on on T { a } { a }")
X("syntaxerr_fragment_without_type_condition", "fragment F { a } { ...F }")
X("syntaxerr_fragment_type_condition_without_type", "fragment F on { a } { ...F }")
X("syntaxerr_fragment_legacy_variables", "fragment F($v: Int) on T { a } { ...F }")
X("syntaxerr_fragment_without_name", "fragment { a }")
X("syntaxerr_unclosed_list_value", "{ a(x: [1, 2) }")
X("syntaxerr_object_field_without_value", "{ a(x: {b}) }")
X("syntaxerr_object_field_colon_without_value", "{ a(x: {b: }) }")
X("syntaxerr_object_field_string_key", '{ a(x: {"b": 1}) }')
X("syntaxerr_variable_without_name", "{ a(x: $) }")
X("syntaxerr_variable_numeric_name", "{ a(x: $1) }")
X("syntaxerr_operation_directive_arguments_variable_name", "query Q @dir($x: 1) { a }")
X("syntaxerr_keyword_wrong_case", "Query { a }")
X("syntaxerr_keyword_upper_case", "MUTATION { a }")
X("syntaxerr_trailing_name", "query Q { a } extra")
X("syntaxerr_trailing_number", "{ a } 1")
X("syntaxerr_pipe_in_selection", "{ a | b }")
X("syntaxerr_ampersand_in_selection", "{ a & b }")
X("syntaxerr_equals_in_selection", "{ a = 1 }")
X("syntaxerr_bang_after_field", "{ a! }")
X("syntaxerr_bang_after_operation_name", "query Q! { a }")
X("syntaxerr_list_as_operation_name", "query [Q] { a }")
X("syntaxerr_directive_after_selection", "query Q @dir { a } @dir")
X("syntaxerr_shorthand_with_directive", "@dir { a }")
X("syntaxerr_shorthand_with_variables", "($a: Int) { a }")
X("syntaxerr_string_at_top_level", '"just a string"')
X("syntaxerr_number_at_top_level", "42")
X("syntaxerr_value_in_selection", '{ "a" }')
X("syntaxerr_adjacent_strings_as_values", '{ a(s: """a""""") }')
X("syntaxerr_spread_at_top_level", "...F fragment F on Query { a }")
X("syntaxerr_mutation_missing_closing_brace_after_query", "query Q { a } mutation M { b", op="Q")

# ---- depth (ghpool's limit: 64 nested selection sets, lists, objects, list types) -------------


def nest_sel(n):
    return "{ a " * (n - 1) + "{ a" + " }" * n


def nest_list(lists):
    return "{ a(x: " + "[" * lists + "1" + "]" * lists + ") }"


def nest_obj(objs):
    return "{ a(x: " + "{k: " * objs + "1" + "}" * objs + ") }"


def nest_type(lists):
    return "query Q($v: " + "[" * lists + "Int" + "]" * lists + ") { a }"


Q("depth_64_selection_sets", nest_sel(64))
X("depth_65_selection_sets_stricter_than_graphql_js", nest_sel(65))
X("depth_300_selection_sets_stricter_than_graphql_js", nest_sel(300))
Q("depth_64_with_63_list_values", nest_list(63))
X("depth_65_with_64_list_values_stricter_than_graphql_js", nest_list(64))
Q("depth_64_with_63_object_values", nest_obj(63))
X("depth_65_with_64_object_values_stricter_than_graphql_js", nest_obj(64))
Q("depth_64_list_types", nest_type(64), selects="Q")
X("depth_65_list_types_stricter_than_graphql_js", nest_type(65))
Q("depth_mixed_64", "{ a " * 31 + "{ a(x: " + "[{k: " * 16 + "1" + "}]" * 16 + ") }" + " }" * 31)
X("depth_mixed_65_stricter_than_graphql_js", "{ a " * 32 + "{ a(x: " + "[{k: " * 16 + "1" + "}]" * 16 + ") }" + " }" * 32)
Q("depth_many_siblings_shallow", "{ " + " ".join("f%d { g { h } }" % i for i in range(300)) + " }")
X("depth_unbalanced_deep_open", "{ a " * 40)
X("depth_unbalanced_deep_mutation_stricter_than_graphql_js", "mutation M " + nest_sel(70))

# ---- long names --------------------------------------------------------------------------------

LONG = "Op" + "abcdefghij" * 29 + "abcdefgh"   # 300 characters
Q("long_operation_name_300_selected", "query %s { a }" % LONG, op=LONG)
Q("long_operation_name_300_no_name", "query %s { a }" % LONG, selects=LONG)
X("long_operation_name_truncated_does_not_match", "query %s { a }" % LONG, op=LONG[:127])
PREFIX = "P" * 130
M("long_names_shared_128_prefix_select_mutation",
  "query %sRead { a } mutation %sWrite { b }" % (PREFIX, PREFIX), op=PREFIX + "Write")
Q("long_names_shared_128_prefix_select_query",
  "query %sRead { a } mutation %sWrite { b }" % (PREFIX, PREFIX), op=PREFIX + "Read")
Q("long_names_differ_after_127_are_unique",
  "query %sA { a } query %sB { b }" % ("Q" * 127, "Q" * 127), op="Q" * 127 + "B")
X("long_names_equal_are_duplicates",
  "query %s { a } mutation %s { b }" % ("D" * 200, "D" * 200), op="D" * 200)
Q("long_field_name_5000", "{ " + "f" * 5000 + " }")
Q("long_string_argument_20000", '{ a(s: "' + "mutation { x } " * 1300 + '") }')
Q("long_many_fields", "{ " + " ".join("field%d" % i for i in range(2000)) + " }")
M("long_comment_then_mutation", "#" + " query" * 3000 + "\nmutation M { a }", selects="M")


def main():
    names = [e["name"] for e in ENTRIES]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        sys.exit("duplicate entry names: %s" % ", ".join(sorted(dup)))
    text = "".join(json.dumps(e, ensure_ascii=True) + "\n" for e in ENTRIES)
    if sys.argv[1:] == ["--check"]:
        with open(CORPUS, encoding="utf-8") as f:
            if f.read() != text:
                sys.exit("tests/graphql/corpus.jsonl is stale: run tests/graphql/make_corpus.py")
        return
    with open(CORPUS, "w", encoding="utf-8") as f:
        f.write(text)
    counts = {}
    for e in ENTRIES:
        counts[e["expect"]] = counts.get(e["expect"], 0) + 1
    print("%d entries: %s" % (len(ENTRIES), ", ".join("%s %d" % kv for kv in sorted(counts.items()))))


if __name__ == "__main__":
    main()
