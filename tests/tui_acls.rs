//! The ACLs tab, fed by scripted admin-worker replies: the list in
//! `kafka-acls`' words, the `/` filter on principal or resource, a delete that
//! asks for the principal and sends exactly the selected ACL, and read-only
//! mode refusing it. Snapshots at fixed sizes.

mod support;
use support::tui as fixtures;

use eventdeck::kafka::ffi::{AclBinding, Operation, PatternType, Permission, ResourceType};
use eventdeck::tui::App;
use eventdeck::tui::event::{AdminReply, AdminRequest};
use eventdeck::tui::keymap::Mode;
use fixtures::{app, screen, services_with, settings, snap};

fn acl(
    principal: &str,
    op: Operation,
    perm: Permission,
    rt: ResourceType,
    name: &str,
    pattern: PatternType,
) -> AclBinding {
    AclBinding {
        resource_type: rt,
        resource_name: name.into(),
        pattern_type: pattern,
        principal: principal.into(),
        host: "*".into(),
        operation: op,
        permission: perm,
    }
}

/// What `scripts/kafka up --secure` sets up, plus a prefixed grant.
fn acls() -> Vec<AclBinding> {
    use Operation as O;
    use PatternType as P;
    use Permission as A;
    use ResourceType as R;
    let mut v = vec![
        acl("User:alice", O::All, A::Allow, R::Topic, "*", P::Literal),
        acl(
            "User:CN=eventdeck-client",
            O::All,
            A::Allow,
            R::Topic,
            "*",
            P::Literal,
        ),
        acl(
            "User:alice",
            O::All,
            A::Deny,
            R::Topic,
            "secret.events",
            P::Literal,
        ),
        acl("User:alice", O::All, A::Allow, R::Group, "*", P::Literal),
        acl(
            "User:alice",
            O::All,
            A::Allow,
            R::Cluster,
            "kafka-cluster",
            P::Literal,
        ),
        acl(
            "User:bob",
            O::Read,
            A::Allow,
            R::Topic,
            "orders.",
            P::Prefixed,
        ),
        acl(
            "User:bob",
            O::DescribeConfigs,
            A::Allow,
            R::Topic,
            "orders.",
            P::Prefixed,
        ),
    ];
    v.sort();
    v
}

/// The console on the ACLs tab (the last one), its list loaded.
fn acls_over(mut app: App) -> App {
    app.press(":");
    app.type_text("tab acls\n");
    assert_eq!(app.mode(), Mode::Acls);
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListAcls]
    );
    fixtures::admin_reply(&mut app, AdminReply::Acls(Ok(acls())));
    app
}

#[test]
fn acls_tab_lists_principal_host_operation_permission_and_resource() {
    let app = acls_over(app());
    snap("acls_list", &app);
    let text = screen(&app, 120, 40);
    for word in [
        "User:alice",
        "secret.events",
        "DENY",
        "PREFIXED",
        "kafka-cluster",
        "CLUSTER",
    ] {
        assert!(text.contains(word), "{word}:\n{text}");
    }
}

#[test]
fn acls_filter_matches_the_principal_or_the_resource_name() {
    let mut app = acls_over(app());
    app.press("/");
    app.type_text("secret\n");
    let text = screen(&app, 120, 40);
    assert!(text.contains("ACLs (1 of 7 · /secret)"), "{text}");
    assert!(
        text.contains("secret.events") && !text.contains("User:bob"),
        "{text}"
    );
    snap("acls_filtered", &app);
    app.press("esc");
    assert!(screen(&app, 120, 40).contains("ACLs (7)"));
    app.press("/");
    app.type_text("BOB\n");
    let text = screen(&app, 120, 40);
    assert!(
        !text.contains("User:alice") && text.contains("User:bob"),
        "{text}"
    );
}

#[test]
fn delete_asks_for_the_principal_and_sends_exactly_the_selected_acl() {
    let mut app = acls_over(app());
    app.press("/");
    app.type_text("secret\n");
    app.press("D");
    assert_eq!(app.mode(), Mode::TypeConfirm);
    app.type_text("User:alic\n");
    assert!(fixtures::admin_requests(&mut app).is_empty());
    app.type_text("e\n");
    let deny = acls()
        .into_iter()
        .find(|a| a.resource_name == "secret.events")
        .expect("the deny");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::DeleteAcls(vec![deny])]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Done {
            action: "acls.delete",
            result: Ok("deleted 1 ACL(s)".into()),
        },
    );
    // Done: the list is read again.
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListAcls]
    );
}

#[test]
fn a_failed_list_is_said_and_the_last_list_stays() {
    let mut app = acls_over(app());
    app.press("r");
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::ListAcls]
    );
    fixtures::admin_reply(
        &mut app,
        AdminReply::Acls(Err(
            "describing ACLs: Broker: Cluster authorization failed".into()
        )),
    );
    let text = screen(&app, 120, 40);
    assert!(text.contains("Cluster authorization failed"), "{text}");
    assert!(text.contains("secret.events"), "{text}");
}

#[test]
fn read_only_refuses_an_acl_delete() {
    let mut s = settings();
    s.read_only = true;
    let mut app = acls_over(App::new(&services_with(s).0));
    app.press("D");
    assert_eq!(app.mode(), Mode::Acls, "no dialog opens");
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("acls.delete")),
        "{:?}",
        app.toast()
    );
    assert!(fixtures::admin_requests(&mut app).is_empty());
}

#[test]
fn the_palette_creates_acls_with_the_headless_options_after_the_principal_is_typed() {
    let mut app = acls_over(app());
    app.press(":");
    app.type_text(
        "acl create --allow-principal User:bob --operation Read --operation Describe --topic orders. --pattern-type prefixed\n",
    );
    assert_eq!(app.mode(), Mode::TypeConfirm);
    let text = screen(&app, 120, 40);
    assert!(text.contains("Create 2 ACL(s)"), "{text}");
    assert!(
        text.contains("ALLOW User:bob READ on TOPIC orders. (PREFIXED) from *"),
        "{text}"
    );
    snap("acls_create_confirm", &app);
    app.type_text("User:bob\n");
    let made = |op| {
        acl(
            "User:bob",
            op,
            Permission::Allow,
            ResourceType::Topic,
            "orders.",
            PatternType::Prefixed,
        )
    };
    let mut want = vec![made(Operation::Read), made(Operation::Describe)];
    want.sort();
    assert_eq!(
        fixtures::admin_requests(&mut app),
        vec![AdminRequest::CreateAcls(want)]
    );
}

#[test]
fn a_palette_create_without_what_it_needs_says_so_and_asks_nothing() {
    let mut app = acls_over(app());
    for words in [
        "acl create --allow-principal User:bob --topic t",
        "acl create --operation Read --topic t",
        "acl create --allow-principal User:bob --operation Reed --topic t",
        "acl create --bogus",
        "acl drop",
    ] {
        app.press(":");
        app.type_text(&format!("{words}\n"));
        assert_ne!(app.mode(), Mode::TypeConfirm, "{words}");
        assert!(
            app.toast()
                .is_some_and(|t| t.error && t.text.contains("acl create")),
            "{words}: {:?}",
            app.toast()
        );
        assert!(fixtures::admin_requests(&mut app).is_empty(), "{words}");
    }
}

#[test]
fn read_only_refuses_a_palette_create() {
    let mut s = settings();
    s.read_only = true;
    let mut app = acls_over(App::new(&services_with(s).0));
    app.press(":");
    app.type_text("acl create --allow-principal User:bob --operation Read --topic t\n");
    assert_ne!(app.mode(), Mode::TypeConfirm);
    assert!(
        app.toast()
            .is_some_and(|t| t.error && t.text.contains("acls.create")),
        "{:?}",
        app.toast()
    );
    assert!(fixtures::admin_requests(&mut app).is_empty());
}
